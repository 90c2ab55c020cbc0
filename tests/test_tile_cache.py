"""The unit tiles the Draw page shows are encoded once per model and unit, and go when the model does."""
import gc

from mnistapp import layers
from reference import random_params


def test_a_models_unit_tiles_are_kept_while_it_lives_and_go_with_it():
    params, other = random_params((784, 8, 10), rng=11), random_params((784, 8, 10), rng=12)
    digest = params.digest
    url = layers.incoming_png(params, 3)
    assert url.startswith("data:image/png;base64,")
    assert layers.incoming_png(params, 3) is url  # encoded once
    layers.incoming_png(other, 3)
    del params
    gc.collect()
    assert not any(key[0] == digest for key in layers._tiles)
    assert (other.digest, 3) in layers._tiles, "another model's tiles stay"
