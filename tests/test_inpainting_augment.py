"""The training faces' jitter: identity does nothing, the mirror swaps sides, each part on hand-made images."""

import numpy as np
import pytest

from tf_reconstruct.inpainting import augment, parsing


def _labels():
    labels = np.full((4, 4), parsing.INDEX["skin"], np.uint8)
    labels[1, 0] = parsing.INDEX["left_eye"]
    labels[2, 3] = parsing.INDEX["right_eye"]
    labels[0, 1] = parsing.INDEX["left_brow"]
    return labels


def test_identity_changes_nothing():
    image = np.random.default_rng(0).uniform(-1, 1, (4, 4, 3)).astype(np.float32)
    out, labels = augment.apply(image, _labels(), augment.IDENTITY)
    np.testing.assert_array_equal(out, image)
    np.testing.assert_array_equal(labels, _labels())


def test_mirror_reverses_columns_and_swaps_image_sides():
    mirrored = augment.mirror_labels(_labels())
    # The eye that was image-left is now image-right, and is named so.
    assert mirrored[1, 3] == parsing.INDEX["right_eye"] and mirrored[2, 0] == parsing.INDEX["left_eye"]
    assert mirrored[0, 2] == parsing.INDEX["right_brow"] and mirrored[0, 1] == parsing.INDEX["skin"]
    np.testing.assert_array_equal(augment.mirror_labels(mirrored), _labels())
    image = np.zeros((4, 4, 3), np.float32)
    image[:, 0] = 0.5
    out, _ = augment.apply(image, _labels(), augment.Jitter(flip=True))
    assert out[0, 3, 0] == pytest.approx(0.5) and out[0, 0, 0] == pytest.approx(0.0)


def test_brightness_contrast_saturation_and_gains_by_hand():
    grey = np.zeros((2, 2, 3), np.float32)   # 0.5 in [0, 1]
    out, _ = augment.apply(grey, _labels()[:2, :2], augment.Jitter(brightness=0.1))
    np.testing.assert_allclose(out, 0.1, atol=1e-6)
    two = np.array([[[-1, -1, -1], [1, 1, 1]]], np.float32)   # 0 and 1 in [0, 1], mean 0.5
    out, _ = augment.apply(two, np.zeros((1, 2)), augment.Jitter(contrast=0.5))
    np.testing.assert_allclose(out[0, :, 0], [-0.5, 0.5], atol=1e-6)   # 0.25 and 0.75
    red = np.array([[[1, -1, -1]]], np.float32)   # (1, 0, 0): grey 1/3
    out, _ = augment.apply(red, np.zeros((1, 1)), augment.Jitter(saturation=0.0))
    np.testing.assert_allclose(out[0, 0], 2 / 3 - 1, atol=1e-6)
    out, _ = augment.apply(grey, _labels()[:2, :2], augment.Jitter(gains=(1.2, 1.0, 0.8)))
    np.testing.assert_allclose(out[0, 0], [0.2, 0.0, -0.2], atol=1e-6)   # 0.6, 0.5, 0.4


def test_gamma_and_side_light_by_hand():
    quarter = np.full((3, 3, 3), -0.5, np.float32)   # 0.25
    out, _ = augment.apply(quarter, np.zeros((3, 3)), augment.Jitter(gamma=0.5))
    np.testing.assert_allclose(out, 0.0, atol=1e-6)   # sqrt(0.25) = 0.5
    np.testing.assert_allclose(augment.side_light(3, 0.0)[0], [-1, 0, 1], atol=1e-9)
    np.testing.assert_allclose(augment.side_light(3, np.pi / 2)[:, 0], [-1, 0, 1], atol=1e-9)
    grey = np.zeros((3, 3, 3), np.float32)
    out, _ = augment.apply(grey, np.zeros((3, 3)), augment.Jitter(light=0.4))
    np.testing.assert_allclose(out[1, :, 0], [-0.4, 0.0, 0.4], atol=1e-6)   # 0.5 * (1 -+ 0.4)


def test_random_jitter_stays_in_range_and_is_seeded():
    image = np.random.default_rng(1).uniform(-1, 1, (16, 16, 3)).astype(np.float32)
    for seed in range(20):
        jitter = augment.draw(np.random.default_rng(seed))
        assert jitter == augment.draw(np.random.default_rng(seed))
        out, labels = augment.apply(image, np.zeros((16, 16), np.uint8), jitter)
        assert out.dtype == np.float32 and out.shape == image.shape and labels.shape == (16, 16)
        assert out.min() >= -1.0 and out.max() <= 1.0
