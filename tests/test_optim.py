"""The optimisers against torch.optim: same weights, same batches, same rate -> the same 20 losses."""
import numpy as np
import pytest
import torch

from mnistapp.paths import DATA_DIR
from mnistcore import Params, backward, forward, load_mnist
from mnistcore.optim import adam_init, adam_step, momentum_init, momentum_step, optimizer
from mnistcore.preprocess import scale_uint8
from mnistcore.train_loop import batches, init_params, train_step
from reference import random_arrays

STEPS = 20
CASES = [("sgd", 0.1, lambda ps: torch.optim.SGD(ps, lr=0.1)),
         ("momentum", 0.05, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
         ("adam", 1e-3, lambda ps: torch.optim.Adam(ps, lr=1e-3))]


def data(rng, n=STEPS * 32):
    """n MNIST training images (scaled as the engine's input) and their labels, from a random start."""
    images, labels = load_mnist("train", DATA_DIR)
    start = int(rng.integers(0, len(images) - n))
    return scale_uint8(images[start:start + n]), labels[start:start + n].astype(np.int64)


@pytest.mark.parametrize("sizes", [(784, 64, 10), (784, 512, 10), (784, 32, 16, 10)],
                         ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("name, lr, torch_opt", CASES, ids=[c[0] for c in CASES])
def test_twenty_steps_give_torchs_losses_and_weights(name, lr, torch_opt, sizes):
    rng = np.random.default_rng(len(sizes) + sizes[1])
    Ws, bs = random_arrays(sizes, rng)
    x, y = data(rng)
    order = batches(len(x), 32, rng)

    params, opt = Params(Ws=tuple(Ws), bs=tuple(bs)), optimizer(name, lr)
    state, ours = opt.init(params), []
    for idx in order:
        params, state, loss, _ = train_step(params, opt, state, x[idx], y[idx])
        ours.append(loss)

    tW = [torch.tensor(W, requires_grad=True) for W in Ws]
    tb = [torch.tensor(b, requires_grad=True) for b in bs]
    topt, theirs = torch_opt(tW + tb), []
    for idx in order:
        a = torch.from_numpy(x[idx])
        for l, (W, b) in enumerate(zip(tW, tb)):
            a = a @ W + b
            if l < len(tW) - 1:
                a = torch.relu(a)
        loss = torch.nn.functional.cross_entropy(a, torch.from_numpy(y[idx]))
        topt.zero_grad()
        loss.backward()
        topt.step()
        theirs.append(loss.item())

    assert ours[-1] < ours[0]  # it learns (no example is seen twice)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    for mine, ref in zip(params.Ws + params.bs, tW + tb):
        np.testing.assert_allclose(mine, ref.detach().numpy(), rtol=1e-3, atol=1e-5)


def test_steps_leave_params_and_state_untouched_and_stay_float32():
    rng = np.random.default_rng(3)
    params = init_params((784, 16, 10), rng)
    x, y = data(rng, 8)
    grads = backward(params, forward(params, x), y)
    before = [a.copy() for a in params.Ws + params.bs]
    for init, step in ((momentum_init, momentum_step), (adam_init, adam_step)):
        state = init(params)
        state_before = [a.copy() for a in state.v]
        new, new_state = step(params, grads, state, 0.01)
        for a, b in zip(params.Ws + params.bs, before):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(state.v, state_before):
            np.testing.assert_array_equal(a, b)
        assert all(a.dtype == np.float32 and not a.flags.writeable for a in new.Ws + new.bs)
        assert all(a.dtype == np.float32 for a in new_state.v)


def test_adam_first_step_moves_every_weight_by_about_the_learning_rate():
    # Kingma & Ba, section 2.1: with bias correction the first step is alpha * g / (|g| + eps) ~ alpha.
    rng = np.random.default_rng(4)
    params = init_params((784, 16, 10), rng)
    x, y = data(rng, 64)
    grads = backward(params, forward(params, x), y)
    new, _ = adam_step(params, grads, adam_init(params), lr=1e-3)
    moved = np.abs(new.Ws[1] - params.Ws[1])
    np.testing.assert_allclose(moved[np.abs(grads.dWs[1]) > 1e-4], 1e-3, rtol=1e-2, atol=0)


def test_init_params_follows_torchs_linear_bounds():
    params = init_params((784, 512, 10), np.random.default_rng(0))
    assert params.sizes == (784, 512, 10)
    for W, b in zip(params.Ws, params.bs):
        bound = 1 / np.sqrt(W.shape[0])
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.99 * bound and np.abs(b).max() <= bound


def test_batches_cover_every_example_once():
    order = batches(1000, 128, np.random.default_rng(0))
    assert [len(b) for b in order] == [128] * 7 + [104]
    np.testing.assert_array_equal(np.sort(np.concatenate(order)), np.arange(1000))


def test_an_unknown_optimizer_is_named_in_the_error():
    with pytest.raises(ValueError, match="rmsprop"):
        optimizer("rmsprop", 0.1)
