"""The latent penalties: zero where they should be, and their value on a hand-computed case."""

import numpy as np
import tensorflow as tf

from tf_reconstruct.optimize import regularizers


def test_row_spread_is_zero_at_the_mean_w_plus_and_for_any_w():
    w_avg = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    mean_w_plus = np.tile(w_avg[None, None], [2, 23, 1])
    np.testing.assert_allclose(regularizers.row_spread(tf.constant(mean_w_plus)).numpy(), [0.0, 0.0], atol=1e-12)


def test_row_spread_hand_computed():
    # Two rows of 2 values: (0, 0) and (2, 4); mean row (1, 2); squared deviations 1, 4, 1, 4 -> mean 2.5.
    w_plus = tf.constant([[[0.0, 0.0], [2.0, 4.0]]])
    np.testing.assert_allclose(regularizers.row_spread(w_plus).numpy(), [2.5])


def test_anchor_distance_is_zero_at_the_anchor():
    anchor = tf.constant(np.random.default_rng(1).standard_normal((3, 4, 8)).astype(np.float32))
    np.testing.assert_array_equal(regularizers.anchor_distance(anchor, anchor).numpy(), np.zeros(3))
    np.testing.assert_allclose(regularizers.anchor_distance(anchor + 2.0, anchor).numpy(), np.full(3, 4.0))
