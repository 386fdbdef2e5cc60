"""The patent network's fill of faces already in the generator frame: at the network's own size or not,
only the hole changes."""

import numpy as np
import tensorflow as tf

from tf_reconstruct.inpainting import parsing, patent_fill, patent_network


def _constant_network(size, value):
    """A stand-in with the network's three inputs that paints every pixel `value` (in [-1, 1])."""
    masked = tf.keras.Input((size, size, 3))
    hole = tf.keras.Input((size, size, 1))
    regions = tf.keras.Input((size, size, len(parsing.REGIONS)))
    painted = tf.keras.layers.Lambda(lambda x: tf.zeros_like(x) + value)(masked)
    return tf.keras.Model([masked, hole, regions], painted)


def _case(batch=2, full=64):
    rng = np.random.default_rng(1)
    faces = rng.integers(0, 256, (batch, full, full, 3), dtype=np.uint8)
    holes = np.zeros((batch, full, full), np.uint8)
    holes[0, 10:30, 5:40] = 1
    holes[1, 33, 33] = 1   # one pixel: still a hole after the network's downsampling
    labels = np.full((batch, full, full), parsing.INDEX["skin"], np.uint8)
    return faces, holes, labels


def test_only_the_hole_takes_the_network_output_at_a_smaller_size():
    faces, holes, labels = _case()
    filled = patent_fill.fill_framed(_constant_network(32, 0.5), 32, faces, holes, labels)
    assert filled.shape == faces.shape and filled.dtype == np.uint8
    inside = holes > 0
    np.testing.assert_array_equal(filled[~inside], faces[~inside])
    assert np.all(filled[inside] == 191)   # (0.5 + 1) * 127.5 rounded


def test_the_real_network_fills_at_its_own_size():
    faces, holes, labels = _case()
    network = patent_network.build_generator(64, len(parsing.REGIONS), width=0.0625)
    filled = patent_fill.fill_framed(network, 64, faces, holes, labels)
    assert filled.shape == faces.shape
    np.testing.assert_array_equal(filled[holes == 0], faces[holes == 0])
