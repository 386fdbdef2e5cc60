"""Liveness wrappers: crop geometry, channel order and scaling on a known image; real-photo direction;
deterministic scores; bad input."""

import numpy as np
import pytest

from tf_reconstruct.align.photo_align import NoFaceFoundError
from tf_reconstruct.liveness import crops


def _marked_image():
    # 400 x 300 (w x h), grey, with a red 100 x 100 square whose top-left is (150, 100).
    image = np.full((300, 400, 3), 100, np.uint8)
    image[100:200, 150:250] = (255, 0, 0)
    return image


def test_antispoof_crop_is_the_box_at_256_rgb_over_255():
    tensor = crops.antispoof_input(_marked_image(), [150, 100, 100, 100])
    assert tensor.shape == (1, 256, 256, 3) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[0, 128, 128], [1.0, 0.0, 0.0])   # red stays in channel 0: RGB
    assert tensor.min() >= 0.0 and tensor.max() <= 1.0


def test_faceplugin_crop_is_the_box_times_2_7_clamped_bgr_nchw_raw():
    image = _marked_image()
    tensor = crops.faceplugin_input(image, [150, 100, 100, 100])
    assert tensor.shape == (1, 3, 128, 128)
    # x2.7 about (200, 150): x 65..335 fits; y 15..285 fits: a 270 x 270 crop with the square in its middle.
    assert crops.clamp_box(crops.scale_box([150, 100, 100, 100], 2.7), 400, 300) == (65, 15, 335, 285)
    np.testing.assert_allclose(tensor[0, :, 64, 64], [0.0, 0.0, 255.0])   # red lands in channel 2: BGR
    np.testing.assert_allclose(tensor[0, :, 2, 2], [100.0, 100.0, 100.0])  # raw 0-255, no scaling
    # Near a corner the scaled box is clamped to the image.
    assert crops.clamp_box(crops.scale_box([0, 0, 100, 100], 2.7), 400, 300) == (0, 0, 185, 185)


def test_a_box_outside_the_image_is_refused():
    with pytest.raises(ValueError, match="outside"):
        crops.antispoof_input(_marked_image(), [500, 500, 50, 50])


@pytest.mark.models
@pytest.mark.slow
def test_detectors_on_real_photos_and_bad_input():
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    from tf_reconstruct.liveness import detectors
    ids = ["Abel_Pacheco_0001", "Akhmed_Zakayev_0001", "Amber_Tamblyn_0001", "Anders_Fogh_Rasmussen_0001"]
    photos = lfw.read_images(require_shared_data("lfw/lfw-deepfunneled.tgz"), ids)
    antispoof, faceplugin = detectors.load_antispoof(), detectors.load_faceplugin()
    live = [faceplugin(photos[i], i) for i in ids]
    # The live class is the one real photos get (the direction the wrapper documents).
    assert sum(passed for _, passed in live) >= 3
    score, passed = antispoof(photos[ids[0]], ids[0])
    assert 0.0 <= score and passed == (score <= detectors.ANTISPOOF_THRESHOLD)
    assert antispoof(photos[ids[0]], ids[0]) == (score, passed)                 # deterministic
    assert faceplugin(photos[ids[1]], ids[1]) == live[1]
    grey = photos[ids[0]].mean(axis=-1).astype(np.uint8)                          # greyscale is repeated to RGB
    assert isinstance(faceplugin(grey, "grey")[1], bool)
    with pytest.raises(NoFaceFoundError, match="too small"):
        antispoof(np.zeros((16, 16, 3), np.uint8), "tiny")
