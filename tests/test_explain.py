"""Why this digit: exact attribution, switching units off, fooling the network, the
preprocessing steps. torch's autograd is the independent reference where there is one."""
import numpy as np
import pytest
import torch

from harness.server import data_url_image
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import Params, forward, load_mnist, load_params, scale_input
from mnistcore.explain.attribution import fool, linear_attribution, switch_off
from mnistcore.preprocess import STEPS, center_digit, digit_steps, plain_resize
from reference import random_arrays, random_params, torch_logits


@pytest.fixture(scope="module")
def shipped():
    return load_params(SHIPPED_MODEL)


@pytest.fixture(scope="module")
def test_images():
    images, labels = load_mnist("test", DATA_DIR)
    return images[:20] / np.float32(255), labels[:20]


def test_attribution_sums_to_the_logits_of_the_shipped_model(shipped, test_images):
    images, _ = test_images
    x = scale_input(images)
    logits = forward(shipped, x).logits
    for i in range(len(x)):
        C, c0 = linear_attribution(shipped, x[i])
        assert C.shape == (784, 10) and c0.shape == (10,)
        np.testing.assert_allclose(C.sum(axis=0) + c0, logits[i], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("sizes", [(784, 10), (784, 64, 10), (784, 96, 48, 10), (784, 50, 40, 30, 20, 10)])
def test_attribution_is_input_times_torchs_jacobian_for_any_depth(sizes):
    """For a ReLU net with its active pattern fixed, C[i, k] = x[i] dz_k/dx_i; torch's autograd gives dz/dx."""
    rng = np.random.default_rng(len(sizes))
    Ws, bs = random_arrays(sizes, rng)
    params = Params(Ws=tuple(Ws), bs=tuple(bs))
    x = rng.normal(0, 1, 784).astype(np.float32)
    C, c0 = linear_attribution(params, x)
    tx = torch.tensor(x[None], requires_grad=True)
    J = torch.autograd.functional.jacobian(lambda t: torch_logits(Ws, bs, t)[0], tx)[:, 0, :].numpy()  # (10, 784)
    np.testing.assert_allclose(C, x[:, None] * J.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(C.sum(axis=0) + c0, torch_logits(Ws, bs, torch.tensor(x[None]))[0].detach().numpy(),
                               rtol=1e-4, atol=1e-4)


def test_switching_units_off_equals_zeroing_their_activations_in_torch(shipped, test_images):
    images, _ = test_images
    x = scale_input(images)
    units = [3, 17, 200, 511]
    before = shipped.digest
    off = switch_off(shipped, units)
    a1 = torch.relu(torch.tensor(x) @ torch.tensor(shipped.Ws[0]) + torch.tensor(shipped.bs[0]))
    a1[:, units] = 0  # the unit's output, a = 0
    want = (a1 @ torch.tensor(shipped.Ws[1]) + torch.tensor(shipped.bs[1])).numpy()
    fwd = forward(off, x)
    np.testing.assert_allclose(fwd.logits, want, rtol=1e-4, atol=1e-5)
    assert (fwd.activations[1][:, units] == 0).all()
    assert shipped.digest == before and off is not shipped  # the shared model is untouched
    assert shipped.Ws[0][:, units].any()


def test_switching_units_off_in_a_deeper_layer_changes_only_that_layer(test_images):
    params = random_params((784, 32, 16, 10), rng=3)
    x = scale_input(test_images[0])
    off = switch_off(params, [0, 5], layer=2)
    a = forward(params, x).activations
    b = forward(off, x).activations
    np.testing.assert_array_equal(a[1], b[1])
    assert (b[2][:, [0, 5]] == 0).all()
    keep = [j for j in range(16) if j not in (0, 5)]
    np.testing.assert_allclose(a[2][:, keep], b[2][:, keep], rtol=1e-6, atol=1e-6)


def test_fool_reaches_the_target_and_changes_neither_the_drawing_nor_the_model(shipped, test_images):
    images, labels = test_images
    img = images[0].copy()
    img.setflags(write=False)  # any write would raise
    digest = shipped.digest
    target = (int(labels[0]) + 1) % 10
    res = fool(shipped, img, target)
    np.testing.assert_array_equal(img, images[0])
    assert shipped.digest == digest
    assert res.success and res.steps > 0
    assert int(forward(shipped, scale_input(res.image[None])).probs.argmax()) == target
    assert res.image.min() >= 0 and res.image.max() <= 1
    assert res.ink == pytest.approx(float(np.abs(res.image - images[0]).sum()), rel=1e-5)


def test_fool_stops_at_once_when_the_network_already_says_the_target(shipped, test_images):
    images, labels = test_images
    res = fool(shipped, images[0], int(forward(shipped, scale_input(images[:1])).probs.argmax()))
    assert res.steps == 0 and res.ink == 0 and res.success


def test_fool_gives_up_after_max_steps(shipped, test_images):
    images, labels = test_images
    res = fool(shipped, images[0], (int(labels[0]) + 5) % 10, max_steps=1, step=1e-4)
    assert not res.success and res.steps == 1


def corner_ink():
    ink = np.zeros((280, 280), np.float32)
    ink[20:90, 30:50] = 1  # a small bar in the top-left corner
    ink[20:35, 30:80] = 1
    return ink


def test_the_steps_end_in_center_digit_and_the_input_scaling():
    ink = corner_ink()
    steps = digit_steps(ink)
    assert [s.name for s in steps] == ["canvas", *STEPS]
    np.testing.assert_array_equal(steps[-2].image, center_digit(ink))
    np.testing.assert_allclose(steps[-1].image.reshape(1, -1), scale_input(center_digit(ink)[None]), rtol=0, atol=0)
    assert steps[1].image.shape == (70, 50)      # the crop to the ink
    assert max(steps[2].image.shape) == 20       # fitted into 20 px


@pytest.mark.parametrize("step", STEPS)
def test_switching_a_step_off_changes_the_networks_input(step):
    ink = corner_ink()
    on, off = digit_steps(ink), digit_steps(ink, frozenset({step}))
    assert on[-1].image.shape == off[-1].image.shape == (28, 28)
    assert not np.allclose(on[-1].image, off[-1].image)


def test_without_the_crop_the_whole_canvas_is_fitted():
    ink = corner_ink()
    steps = digit_steps(ink, frozenset({"crop"}))
    assert steps[1].image.shape == (280, 280) and steps[2].image.shape == (20, 20)


def test_plain_resize_keeps_the_mean_ink():
    ink = corner_ink()
    assert plain_resize(ink).shape == (28, 28)
    assert plain_resize(ink).mean() == pytest.approx(ink.mean(), rel=1e-5)


def test_attribution_picture_is_28x28_shares_on_a_diverging_scale_centred_on_zero(shipped, test_images):
    from mnistapp.figures.images import attribution_png
    from mnistapp.figures.style import NEGATIVE, POSITIVE, ZERO
    images, _ = test_images
    C, _ = linear_attribution(shipped, scale_input(images[:1])[0])
    url, vmax = attribution_png(C[:, 7], scale=8)
    assert vmax == pytest.approx(float(np.abs(C[:, 7]).max()))
    rgb = np.asarray(data_url_image(url).convert("RGB"))
    assert rgb.shape == (224, 224, 3)
    cells = rgb[::8, ::8].reshape(784, 3).astype(int)  # one pixel per input pixel, row by row like C
    strongest = int(np.abs(C[:, 7]).argmax())  # the one share at full colour, in its sign's colour
    assert tuple(cells[strongest]) == (POSITIVE if C[strongest, 7] > 0 else NEGATIVE)
    zero = np.abs(C[:, 7]) < 1e-3 * vmax
    assert zero.any() and (np.abs(cells[zero] - np.array(ZERO)) <= 1).all()
    orange = C[:, 7] > 0.5 * vmax
    assert (cells[orange][:, 0] > cells[orange][:, 2]).all()  # red over blue: orange, not purple
