"""Expectation over transformations: the view table, the identity at zero strength, mirroring, and gradients."""

import numpy as np
import tensorflow as tf

from tf_reconstruct.align import augment
from tf_reconstruct.align.generator_warp import warp_to_arcface

POINTS = np.array([[0.377, 0.469], [0.622, 0.469], [0.497, 0.611], [0.383, 0.721], [0.615, 0.720]])


def _images(batch=2, size=256, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (batch, size, size, 3)).astype(np.float32))


def test_view_table_keeps_view_zero_plain_and_strength_zero_plain_everywhere():
    table = augment.view_table(10, 4, 1.0, seed=3)
    assert table.shape == (10, 4, 5)
    assert not table[:, 0].any() and table[:, 1:, :4].any() and set(np.unique(table[..., 4])) <= {0.0, 1.0}
    assert np.abs(table[..., 0]).max() <= augment.MAX_ANGLE + 1e-7
    assert not augment.view_table(10, 4, 0.0).any()
    np.testing.assert_array_equal(augment.view_table(10, 4, 1.0, seed=3), table)


def test_zero_strength_views_are_the_fixed_warp():
    images = _images()
    rows = tf.constant(augment.view_table(1, 3, 0.0)[[0, 0]])   # [B=2, K=3, 5]
    views = augment.warp_views(images, POINTS, rows).numpy()
    plain = warp_to_arcface(images, POINTS).numpy()
    assert views.shape == (6, 112, 112, 3)
    for sample in range(2):
        for view in range(3):
            np.testing.assert_allclose(views[3 * sample + view], plain[sample], atol=1e-5)


def test_a_mirrored_view_is_the_plain_crop_mirrored():
    images = _images(1)
    rows = tf.constant([[[0, 0, 0, 0, 1.0]]])
    mirrored = augment.warp_views(images, POINTS, rows).numpy()[0]
    np.testing.assert_allclose(mirrored, warp_to_arcface(images, POINTS).numpy()[0][:, ::-1], atol=1e-4)


def test_a_shift_moves_the_crop_content():
    images = _images(1)
    plain = warp_to_arcface(images, POINTS).numpy()[0]
    shifted = augment.warp_views(images, POINTS, tf.constant([[[0, 0, 3.0, 0, 0]]])).numpy()[0]
    # The view shows the content 3 px to the right: view[x] = plain[x - 3].
    np.testing.assert_allclose(shifted[20:90, 23:90], plain[20:90, 20:87], atol=1e-4)


def test_views_are_differentiable_in_the_image():
    images = tf.Variable(_images(1))
    rows = tf.constant(augment.view_table(2, 4, 1.0, seed=1)[1:2])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(augment.warp_views(images, POINTS, rows))
    gradient = tape.gradient(total, images)
    assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0
