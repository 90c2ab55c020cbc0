"""The hidden map: the PCA agrees with an SVD in float64, the star is the projection of the input's
hidden activations, and the neighbours are the nearest test images in the full hidden space."""
import numpy as np
import pytest

from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, scale_input
from mnistcore.explain.hiddenmap import fit_hidden_map, nearest, project
from mnistcore.preprocess import scale_uint8


@pytest.fixture(scope="module")
def setup():
    params = load_params(SHIPPED_MODEL)
    images, labels = load_mnist("test", DATA_DIR)
    x = scale_uint8(images[:2000])  # a part of the test set keeps the float64 references quick
    return params, x, labels[:2000], fit_hidden_map(params, x)


def test_the_map_is_the_pca_of_the_hidden_activations(setup):
    params, x, _, hmap = setup
    a = forward(params, x).activations[-1].astype(np.float64)
    centred = a - a.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)  # independent route: SVD of the data itself
    for j in range(2):  # same directions up to sign
        assert abs(abs(float(vt[j] @ hmap.axes[:, j])) - 1) < 1e-4
    np.testing.assert_allclose(np.abs(hmap.points), np.abs(centred @ vt[:2].T), rtol=1e-3, atol=1e-3)
    # the first axis carries the most variance, and the map's variances are the top two singular values'
    np.testing.assert_allclose(hmap.points.var(axis=0) * len(x), s[:2] ** 2, rtol=1e-3, atol=0)


def test_the_star_is_the_projection_of_the_inputs_hidden_activations(setup):
    params, x, _, hmap = setup
    rng = np.random.default_rng(0)
    drawing = rng.random((1, 28, 28)).astype(np.float32) ** 4  # any input, not one of the mapped images
    a = forward(params, scale_input(drawing)).activations[-1]
    want = (a.astype(np.float64) - hmap.mean.astype(np.float64)) @ hmap.axes.astype(np.float64)
    np.testing.assert_allclose(project(hmap, a), want, rtol=1e-4, atol=1e-4)
    # a mapped image lands exactly on its own point
    np.testing.assert_allclose(project(hmap, hmap.hidden[[7]])[0], hmap.points[7], rtol=1e-4, atol=1e-4)


def test_the_neighbours_are_the_nearest_in_hidden_space(setup):
    params, x, labels, hmap = setup
    rng = np.random.default_rng(1)
    for i in rng.choice(len(x), 5, replace=False):
        a = hmap.hidden[i] + rng.normal(0, 0.05, hmap.hidden.shape[1]).astype(np.float32)
        brute = np.linalg.norm(hmap.hidden.astype(np.float64) - a, axis=1)
        got = nearest(hmap, a, 8)
        assert got[0] == i  # the image it was made from is nearest
        np.testing.assert_allclose(brute[got], np.sort(brute)[:8], rtol=1e-4, atol=1e-4)
    assert hmap.points.flags.writeable is False and hmap.hidden.flags.writeable is False
