"""Deeper models: effective input weights (against torch's Jacobian), input scalings, model cards,
two models compared, and the app's size limits for uploads."""
import io

import numpy as np
import pytest
import torch

from mnistapp.paths import DATA_DIR
from mnistapp.sandbox import MAX_HIDDEN_LAYERS, MAX_SERVED_PARAMS, load_params_isolated
from mnistcore import ModelFileError, Params, forward, load_mnist
from mnistcore.evaluate import disagreements, evaluate
from mnistcore.explain.attribution import effective_weights
from mnistcore.preprocess import MNIST_SCALING, UNIT_SCALING, Scaling, card_scaling, scale_input, scale_uint8
from reference import random_params, torch_logits

DEEP = (784, 256, 128, 64, 10)


@pytest.mark.parametrize("sizes", [(784, 32, 10), (784, 40, 30, 10), DEEP])
@pytest.mark.parametrize("seed", [0, 1])
def test_effective_weights_are_torchs_jacobian_of_each_hidden_layer(sizes, seed):
    params = random_params(sizes, seed)
    x = np.random.default_rng(seed + 10).normal(0, 1, (1, 784)).astype(np.float32)
    fwd = forward(params, x)
    for layer in range(1, len(sizes) - 1):
        eff = effective_weights(params, fwd, layer)
        # torch: the pre-activation z_layer of the same network, differentiated with respect to x
        net = lambda t, layer=layer: torch_logits(params.Ws[:layer], params.bs[:layer], t)
        jac = torch.autograd.functional.jacobian(net, torch.tensor(x))[0, :, 0, :].numpy()  # (n_layer, 784)
        assert eff.W.shape == (784, sizes[layer])
        np.testing.assert_allclose(eff.W, jac.T, rtol=1e-4, atol=1e-5)
        # a ReLU network is linear under a fixed pattern: z = x W_eff + b_eff exactly, bias included
        np.testing.assert_allclose(x[0] @ eff.W + eff.b, fwd.zs[layer - 1][0], rtol=1e-4, atol=1e-4)


def test_effective_weights_of_the_first_layer_are_W1_and_change_nothing():
    params = random_params((784, 20, 15, 10), 3)
    fwd = forward(params, np.ones((2, 784), np.float32))
    np.testing.assert_array_equal(effective_weights(params, fwd, 1).W, params.Ws[0])
    eff_row1 = effective_weights(params, fwd, 2, row=1)  # a different row, its own pattern
    on = fwd.zs[0][1] > 0
    np.testing.assert_allclose(eff_row1.W, (params.Ws[0] * on) @ params.Ws[1], rtol=1e-5, atol=1e-6)
    assert not params.Ws[0].flags.writeable


def test_scalings_give_mnists_formula_and_plain_pixels():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.testing.assert_allclose(scale_uint8(images, UNIT_SCALING), images.reshape(3, -1) / 255, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(scale_uint8(images, MNIST_SCALING), (images.reshape(3, -1) / 255 - 0.1307) / 0.3081,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(scale_input(images / 255), scale_input(images / 255, MNIST_SCALING))


@pytest.mark.parametrize("card, expected", [
    ({"input_scaling": {"formula": "x = (pixel / 255 - mean) / std", "mean": 0.1307, "std": 0.3081}}, MNIST_SCALING),
    ({"input_scaling": {"mean": 0, "std": 1}}, UNIT_SCALING),
    ({"input_scaling": {"mean": 0.5, "std": 0.5}}, Scaling(0.5, 0.5)),
    ({"input_scaling": "0..1"}, UNIT_SCALING),
    ({"input_scaling": "MNIST"}, MNIST_SCALING),
])
def test_a_model_card_gives_its_scaling(card, expected):
    assert card_scaling(card) == expected


@pytest.mark.parametrize("card", [{}, [], {"input_scaling": {"mean": 0, "std": 0}}, {"input_scaling": {"mean": "a"}},
                                  {"input_scaling": {"mean": 0, "std": float("nan")}}, {"input_scaling": "z-score"}])
def test_a_card_without_a_usable_scaling_is_refused_with_advice(card):
    with pytest.raises(ModelFileError, match="input_scaling"):
        card_scaling(card)


def test_the_wrong_scaling_shows_in_the_accuracy_and_the_right_one_matches_torch():
    """A model trained on 0..1 pixels: evaluated with 0..1 it equals torch; with MNIST's scaling it is worse."""
    images, labels = load_mnist("test", DATA_DIR)
    images, labels = images[:500], labels[:500]
    # a linear read-out fitted on 0..1 pixels (least squares on one-hot targets) stands in for a trained model
    x = images.reshape(len(images), -1) / np.float32(255)
    W = np.linalg.lstsq(np.c_[x, np.ones(len(x))], np.eye(10)[labels], rcond=None)[0].astype(np.float32)
    params = Params(Ws=(W[:-1],), bs=(W[-1],))
    right = evaluate(params, images, labels, scaling=UNIT_SCALING)
    wrong = evaluate(params, images, labels, scaling=MNIST_SCALING)
    ref = torch_logits(params.Ws, params.bs, torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_array_equal(right.predictions, ref.argmax(1))
    assert right.accuracy > wrong.accuracy + 0.1, (right.accuracy, wrong.accuracy)


def test_disagreements_are_exactly_where_the_predictions_differ():
    images, labels = load_mnist("test", DATA_DIR)
    images, labels = images[:300], labels[:300]
    a = evaluate(random_params((784, 16, 10), 0), images, labels)
    b = evaluate(random_params((784, 16, 10), 1), images, labels)
    idx = disagreements(a, b)
    np.testing.assert_array_equal(np.sort(idx), np.flatnonzero(a.predictions != b.predictions))
    worst = np.maximum(a.losses, b.losses)[idx]
    assert np.all(np.diff(worst) <= 0)
    assert len(disagreements(a, a)) == 0


def npz_bytes(sizes, dtype=np.float16) -> bytes:
    f = io.BytesIO()
    arrays = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        arrays[f"W{l}"], arrays[f"b{l}"] = np.zeros((n_in, n_out), dtype), np.zeros(n_out, dtype)
    np.savez(f, **arrays)
    return f.getvalue()


def test_a_huge_valid_model_is_refused_by_the_stated_size_limit():
    """784-20000-10 in float16 (32 MB) fits under the upload limit; the served-size limit refuses it from its shapes."""
    with pytest.raises(ModelFileError) as e:
        load_params_isolated(npz_bytes((784, 20000, 10)))
    assert f"{784 * 20000 + 20000 + 20000 * 10 + 10:,} parameters" in str(e.value) and f"{MAX_SERVED_PARAMS:,}" in str(e.value)
    n_ok = (MAX_SERVED_PARAMS - 10) // (784 + 1 + 10)  # the widest single hidden layer that fits
    assert load_params_isolated(npz_bytes((784, n_ok, 10))).n_params <= MAX_SERVED_PARAMS
    with pytest.raises(ModelFileError, match="parameters"):
        load_params_isolated(npz_bytes((784, n_ok + 1, 10)))


def test_a_model_deeper_than_the_app_shows_is_refused():
    sizes = (784,) + (16,) * (MAX_HIDDEN_LAYERS + 1) + (10,)
    with pytest.raises(ModelFileError, match=f"{MAX_HIDDEN_LAYERS + 1} hidden layers"):
        load_params_isolated(npz_bytes(sizes))
    assert len(load_params_isolated(npz_bytes(sizes[:1] + sizes[2:])).Ws) == MAX_HIDDEN_LAYERS + 1
