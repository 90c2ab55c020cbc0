"""The values the engine passes around: Params checks its shapes, keeps read-only float32 copies and
names itself by a digest that two different models never share."""
import numpy as np
import pytest

from mnistcore import Params
from mnistcore.params import params_of
from reference import random_arrays, random_params

SHAPES = [(784, 10), (784, 16, 10), (784, 32, 16, 10)]


@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_sizes_and_the_parameter_count_follow_the_arrays(sizes):
    params = random_params(sizes, rng=len(sizes))
    assert params.sizes == sizes
    assert params.n_params == sum(W.size + b.size for W, b in zip(params.Ws, params.bs))
    assert params.n_params == sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_params_keep_float32_copies_of_arrays_of_any_dtype():
    rng = np.random.default_rng(5)
    Ws, bs = random_arrays((784, 8, 10), rng, np.float64)
    params = Params(Ws=tuple(Ws), bs=tuple(bs))
    for ours, given in zip(params.Ws + params.bs, Ws + bs):
        assert ours.dtype == np.float32 and not ours.flags.writeable
        np.testing.assert_allclose(ours, given, rtol=1e-6, atol=1e-7)
    ints = Params(Ws=(np.ones((784, 2), np.int64), np.ones((2, 10), np.int64)), bs=(np.zeros(2, int), np.zeros(10, int)))
    assert all(a.dtype == np.float32 for a in ints.Ws + ints.bs)


@pytest.mark.parametrize("Ws, bs, says", [
    ((), (), "one bias per weight matrix"),
    ((np.ones((784, 4)), np.ones((4, 10))), (np.ones(4),), "one bias per weight matrix"),
    ((np.ones((784, 4)),), (np.ones(4), np.ones(10)), "one bias per weight matrix"),
    ((np.ones((784, 4)), np.ones((5, 10))), (np.ones(4), np.ones(10)), "layers must chain"),
    ((np.ones((784, 4)),), (np.ones(5),), r"\(784, 4\), \(5,\)"),
    ((np.ones((784, 4)),), (np.ones((1, 4)),), r"\(784, 4\), \(1, 4\)"),
    ((np.ones(784),), (np.ones(784),), r"\(784,\), \(784,\)"),
], ids=["no layers", "a bias short", "a bias over", "not chained", "bias too long", "bias 2-d", "weights 1-d"])
def test_params_refuse_arrays_that_do_not_make_a_network(Ws, bs, says):
    with pytest.raises(AssertionError, match=says):
        Params(Ws=Ws, bs=bs)


def test_params_of_freezes_the_fresh_arrays_it_is_given_instead_of_copying_them():
    Ws, bs = random_arrays((784, 8, 10), np.random.default_rng(6))
    params = params_of(Ws, bs)
    assert params.sizes == (784, 8, 10)
    for ours, given in zip(params.Ws + params.bs, Ws + bs):
        assert ours is given and not given.flags.writeable


@pytest.mark.parametrize("what", ["float64", "a view"])
def test_params_of_refuses_arrays_that_someone_else_could_still_change(what):
    Ws, bs = random_arrays((784, 8, 10), np.random.default_rng(7))
    if what == "float64":
        Ws[1] = Ws[1].astype(np.float64)
    else:
        Ws[1] = np.vstack([Ws[1], Ws[1]])[:8]  # a view: freezing it would leave its base writable
    with pytest.raises(AssertionError, match="params_of takes fresh float32 arrays only"):
        params_of(Ws, bs)


def test_the_digest_is_a_sha256_that_equal_models_share():
    params = random_params((784, 16, 10), rng=8)
    copy = Params(Ws=tuple(W.copy() for W in params.Ws), bs=tuple(b.copy() for b in params.bs))
    assert len(params.digest) == 64 and int(params.digest, 16) >= 0
    assert copy.digest == params.digest


def test_changing_any_one_number_of_any_array_changes_the_digest():
    params = random_params((784, 16, 10), rng=9)
    arrays = list(params.Ws + params.bs)
    rng = np.random.default_rng(9)
    digests = {params.digest}
    for i in range(len(arrays)):
        changed = [a.copy() for a in arrays]
        flat = changed[i].reshape(-1)
        j = rng.integers(flat.size)
        flat[j] = np.nextafter(flat[j], np.float32(np.inf))  # one unit in the last place
        digests.add(Params(Ws=tuple(changed[:2]), bs=tuple(changed[2:])).digest)
    assert len(digests) == 1 + len(arrays)


def test_models_holding_the_same_bytes_in_different_shapes_have_different_digests():
    # 3x3 weights and 3 biases, or 2x4 weights and 4 biases: twelve zeros either way
    a = Params(Ws=(np.zeros((3, 3)),), bs=(np.zeros(3),))
    b = Params(Ws=(np.zeros((2, 4)),), bs=(np.zeros(4),))
    assert b"".join(x.tobytes() for x in a.Ws + a.bs) == b"".join(x.tobytes() for x in b.Ws + b.bs)
    assert a.digest != b.digest
