"""The NumPy engine against torch (forward and autograd) and against central finite differences."""
import numpy as np
import pytest
import torch

from mnistcore import Params, backward, cross_entropy, forward, losses, sgd_step, softmax
from reference import random_arrays, random_params, torch_reference

SHAPES = [(784, 512, 10), (784, 256, 128, 10), (784, 32, 10), (784, 64, 48, 32, 10)]


@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_forward_and_gradients_match_torch(sizes):
    rng = np.random.default_rng(sum(sizes))
    Ws, bs = random_arrays(sizes, rng)
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
    assert fwd.x is x and fwd.activations[0] is x  # the input, kept for the views that explain it


def test_backward_matches_central_differences_in_float64():
    rng = np.random.default_rng(7)
    sizes = (6, 5, 4, 3)
    Ws, bs = random_arrays(sizes, rng, np.float64)
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


def test_each_row_is_normalised_on_its_own_when_rows_differ_in_scale():
    # One row near 1e4 and one near 0: a batch-wide shift would underflow the second row to 0/0.
    logits = np.array([[1e4, 1e4 - 1, 1e4 - 2] + [1e4 - 3] * 7, [0.5, 0, -0.5] + [0] * 7], np.float32)
    y = np.array([1, 0])
    ref = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(losses(logits, y), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(softmax(logits), torch.softmax(torch.tensor(logits), 1).numpy(), rtol=1e-5, atol=1e-7)


def test_gradients_at_a_relu_kink_match_torch():
    # An all-zero input and zero biases in layer 1 put every z1 exactly at 0, where torch takes ReLU' = 0.
    rng = np.random.default_rng(11)
    Ws, bs = random_arrays((784, 16, 10), rng)
    bs[0][:] = 0
    bs[0][::2] = 0.3  # half the units on, half exactly on the kink
    x = np.zeros((3, 784), np.float32)
    y = np.array([1, 5, 9])
    params = Params(Ws=tuple(Ws), bs=tuple(bs))
    grads = backward(params, forward(params, x), y)
    _, _, ref_dWs, ref_dbs, ref_dx = torch_reference(Ws, bs, x, y)
    for ours, ref in zip(grads.dWs + grads.dbs + (grads.dx,), ref_dWs + ref_dbs + [ref_dx]):
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)
    assert np.all(grads.dbs[0][1::2] == 0) and np.any(grads.dbs[0][::2] != 0)


def test_adding_a_constant_to_the_logits_changes_nothing():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 10)).astype(np.float32)
    y = rng.integers(0, 10, 5)
    np.testing.assert_allclose(softmax(z + 50), softmax(z), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cross_entropy(z + 50, y), cross_entropy(z, y), rtol=1e-5, atol=1e-6)


def test_sgd_step_returns_new_params_and_leaves_its_input_untouched():
    rng = np.random.default_rng(2)
    params = random_params((784, 32, 10), rng)
    before = [a.copy() for a in params.Ws + params.bs]
    x = rng.random((8, 784), dtype=np.float32)
    y = rng.integers(0, 10, 8)
    grads = backward(params, forward(params, x), y)
    new = sgd_step(params, grads, lr=0.1)
    for a, b in zip(params.Ws + params.bs, before):
        np.testing.assert_array_equal(a, b)
    for W, dW, new_W in zip(params.Ws, grads.dWs, new.Ws):
        np.testing.assert_allclose(new_W, W - 0.1 * dW, rtol=1e-6, atol=1e-7)
    for b, db, new_b in zip(params.bs, grads.dbs, new.bs):
        np.testing.assert_allclose(new_b, b - 0.1 * db, rtol=1e-6, atol=1e-7)
    assert all(np.any(db != 0) for db in grads.dbs)  # so a wrong bias update would show
    assert cross_entropy(forward(new, x).logits, y) < cross_entropy(forward(params, x).logits, y)


def test_params_keep_their_own_copy_of_the_arrays():
    W1, b1 = np.ones((784, 4), np.float32), np.zeros(4, np.float32)
    W2, b2 = np.ones((4, 10), np.float32), np.zeros(10, np.float32)
    params = Params(Ws=(W1, W2), bs=(b1, b2))
    W1[0, 0], b2[3] = 5.0, 7.0  # the caller changes its arrays afterwards
    assert params.Ws[0][0, 0] == 1.0 and params.bs[1][3] == 0.0
    assert W1.flags.writeable  # and its own arrays stay writable


def test_params_are_read_only():
    rng = np.random.default_rng(3)
    params = random_params((784, 16, 10), rng)
    with pytest.raises(ValueError):
        params.Ws[0][0, 0] = 1.0
    assert params.Ws[0].dtype == np.float32
    assert params.sizes == (784, 16, 10) and params.n_params == 784 * 16 + 16 + 16 * 10 + 10
