"""The NumPy engine against torch (forward and autograd) and against central finite differences."""
import numpy as np
import pytest
import torch

from mnistcore import Params, backward, cross_entropy, forward, sgd_step, softmax

SHAPES = [(784, 512, 10), (784, 256, 128, 10), (784, 32, 10), (784, 64, 48, 32, 10)]


def random_params(sizes, rng, dtype=np.float32):
    Ws = [rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)).astype(dtype) for n_in, n_out in zip(sizes, sizes[1:])]
    bs = [rng.normal(0, 0.1, n_out).astype(dtype) for n_out in sizes[1:]]
    return Ws, bs


def torch_reference(Ws, bs, x, y):
    """Logits, loss and gradients of the same network computed by torch.autograd."""
    tW = [torch.tensor(W, requires_grad=True) for W in Ws]
    tb = [torch.tensor(b, requires_grad=True) for b in bs]
    tx = torch.tensor(x, requires_grad=True)
    a = tx
    for l, (W, b) in enumerate(zip(tW, tb)):
        a = a @ W + b
        if l < len(tW) - 1:
            a = torch.relu(a)
    loss = torch.nn.functional.cross_entropy(a, torch.tensor(y, dtype=torch.int64))
    loss.backward()
    return a.detach().numpy(), loss.item(), [W.grad.numpy() for W in tW], [b.grad.numpy() for b in tb], tx.grad.numpy()


@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_forward_and_gradients_match_torch(sizes):
    rng = np.random.default_rng(sum(sizes))
    Ws, bs = random_params(sizes, rng)
    x = rng.random((16, 784), dtype=np.float32)
    y = rng.integers(0, 10, 16)
    params = Params(Ws=tuple(Ws), bs=tuple(bs))

    fwd = forward(params, x)
    grads = backward(params, fwd, y)
    ref_logits, ref_loss, ref_dWs, ref_dbs, ref_dx = torch_reference(Ws, bs, x, y)

    np.testing.assert_allclose(fwd.logits, ref_logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(fwd.probs.argmax(1), ref_logits.argmax(1))
    np.testing.assert_allclose(cross_entropy(fwd.logits, y), ref_loss, rtol=1e-5, atol=1e-6)
    for ours, ref in zip(grads.dWs + grads.dbs, ref_dWs + ref_dbs):
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grads.dx, ref_dx, rtol=1e-4, atol=1e-6)
    assert all(a.dtype == np.float32 for a in fwd.zs + fwd.activations + (fwd.probs, grads.dx) + grads.dWs)
    assert len(fwd.zs) == len(sizes) - 1 and len(fwd.activations) == len(sizes) - 1


def test_backward_matches_central_differences_in_float64():
    rng = np.random.default_rng(7)
    sizes = (6, 5, 4, 3)
    Ws, bs = random_params(sizes, rng, np.float64)
    x = rng.normal(size=(4, 6))
    y = np.array([0, 2, 1, 2])

    def loss(Ws, bs, x):
        a = x
        for l, (W, b) in enumerate(zip(Ws, bs)):
            a = a @ W + b
            if l < len(Ws) - 1:
                assert np.abs(a).min() > 1e-4, "an input sits on a ReLU kink; pick another seed"
                a = np.maximum(a, 0)
        shifted = a - a.max(1, keepdims=True)
        return float(-(shifted[np.arange(len(y)), y] - np.log(np.exp(shifted).sum(1))).mean())

    # The engine computes in whatever dtype it is given; float64 arrays bypass Params' float32 freeze.
    params = Params.__new__(Params)
    object.__setattr__(params, "Ws", tuple(Ws))
    object.__setattr__(params, "bs", tuple(bs))
    grads = backward(params, forward(params, x), y)
    h = 1e-6
    arrays = [(Ws, l, grads.dWs[l]) for l in range(3)] + [(bs, l, grads.dbs[l]) for l in range(3)]
    for group, l, analytic in arrays:
        for idx in np.ndindex(analytic.shape):
            plus = [a.copy() for a in group]
            minus = [a.copy() for a in group]
            plus[l][idx] += h
            minus[l][idx] -= h
            args_p = (plus, bs, x) if group is Ws else (Ws, plus, x)
            args_m = (minus, bs, x) if group is Ws else (Ws, minus, x)
            numeric = (loss(*args_p) - loss(*args_m)) / (2 * h)
            np.testing.assert_allclose(analytic[idx], numeric, rtol=1e-5, atol=1e-8)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        numeric = (loss(Ws, bs, xp) - loss(Ws, bs, xm)) / (2 * h)
        np.testing.assert_allclose(grads.dx[idx], numeric, rtol=1e-5, atol=1e-8)


def test_softmax_and_loss_are_finite_for_logits_of_1e4():
    logits = np.array([[1e4, -1e4, 0, 0, 0, 0, 0, 0, 0, 0], [-1e4] * 10], np.float32)
    probs = softmax(logits)
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-6, atol=0)
    assert probs[0, 0] == 1
    # The true class at -1e4 while another is at +1e4: the loss is 2e4, not inf.
    np.testing.assert_allclose(cross_entropy(logits[:1], np.array([1])), 2e4, rtol=1e-6, atol=0)
    np.testing.assert_allclose(cross_entropy(logits[1:], np.array([3])), np.log(10), rtol=1e-6, atol=0)


def test_adding_a_constant_to_the_logits_changes_nothing():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 10)).astype(np.float32)
    y = rng.integers(0, 10, 5)
    np.testing.assert_allclose(softmax(z + 50), softmax(z), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cross_entropy(z + 50, y), cross_entropy(z, y), rtol=1e-5, atol=1e-6)


def test_sgd_step_returns_new_params_and_leaves_its_input_untouched():
    rng = np.random.default_rng(2)
    params = Params(*map(tuple, random_params((784, 32, 10), rng)))
    before = [a.copy() for a in params.Ws + params.bs]
    x = rng.random((8, 784), dtype=np.float32)
    y = rng.integers(0, 10, 8)
    grads = backward(params, forward(params, x), y)
    new = sgd_step(params, grads, lr=0.1)
    for a, b in zip(params.Ws + params.bs, before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(new.Ws[0], params.Ws[0] - 0.1 * grads.dWs[0], rtol=1e-6, atol=1e-7)
    assert cross_entropy(forward(new, x).logits, y) < cross_entropy(forward(params, x).logits, y)


def test_params_are_read_only():
    rng = np.random.default_rng(3)
    params = Params(*map(tuple, random_params((784, 16, 10), rng)))
    with pytest.raises(ValueError):
        params.Ws[0][0, 0] = 1.0
    assert params.Ws[0].dtype == np.float32
    assert params.sizes == (784, 16, 10) and params.n_params == 784 * 16 + 16 + 16 * 10 + 10
