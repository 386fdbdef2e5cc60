"""The SSR-Net attribute judges: the crop and merge of their JavaScript, the input tensor, and the models on
real photos (determinism, a clear error without a face)."""

import numpy as np
import pytest

from tf_reconstruct.attributes import ssr_net


def test_crop_box_scales_about_the_centre_and_truncates_like_parseint():
    # A 20x20 box at (40, 40) in a 200x200 image, x1.4: 28x28 about the centre (50, 50).
    assert ssr_net.crop_box([40, 40, 20, 20], 200, 200) == [36, 36, 28, 28]


def test_crop_box_is_shifted_back_inside_the_image_not_clamped():
    # Box centre (5, 100), 20x20 -> 28x28 from x = -9: shifted right by 9 to x = 0, keeping its width.
    assert ssr_net.crop_box([-5, 90, 20, 20], 200, 200) == [0, 86, 28, 28]
    # Near the right edge: right = 205 > 199, shifted left by 6.
    assert ssr_net.crop_box([185, 90, 20, 20], 200, 200) == [171, 86, 28, 28]


def test_crop_box_scale_is_capped_by_the_image():
    # A 100-px box in a 121-px image can grow at most to 120 px ((H - 1) / h = 1.2).
    assert ssr_net.crop_box([10, 10, 100, 100], 121, 121) == [0, 0, 120, 120]


def test_normalise_is_bgr_nchw_with_the_imagenet_statistics():
    crop = np.zeros((64, 64, 3), np.uint8)
    crop[..., 0] = 255   # pure red
    tensor = ssr_net.normalise(crop)
    assert tensor.shape == (1, 3, 64, 64) and tensor.dtype == np.float32
    # Channel 0 gets blue (0), channel 2 gets red (255), each with the statistics of its position.
    np.testing.assert_allclose(tensor[0, 0, 0, 0], (0.0 - 0.485) / 0.229, rtol=1e-6)
    np.testing.assert_allclose(tensor[0, 2, 0, 0], (1.0 - 0.406) / 0.225, rtol=1e-6)
    with pytest.raises(ValueError, match="64x64"):
        ssr_net.normalise(np.zeros((32, 32, 3), np.uint8))


def test_merge_is_the_javascript_stagewise_regression():
    outputs = {"prob_stage_1": [[0.2, 0.3, 0.5]], "prob_stage_2": [[1.0, 0.0, 0.0]], "prob_stage_3": [[0, 0, 1.0]],
               "stage1_delta_k": [[0.0]], "stage2_delta_k": [[1.0]], "stage3_delta_k": [[0.0]],
               "index_offset_stage1": [[0.0, 0.0, 0.0]], "index_offset_stage2": [[0.5, 0.0, 0.0]],
               "index_offset_stage3": [[0.0, 0.0, 0.0]]}
    # a = (0*0.2 + 1*0.3 + 2*0.5) / 3 = 1.3/3; b = (0 + 0.5) * 1 / 3 / (3 * 2) = 0.5/18;
    # c = 2 * 1 / 3 / 6 / 3 = 2/54; times V = 101.
    expected = (1.3 / 3 + 0.5 / 18 + 2 / 54) * 101
    assert ssr_net.merge(outputs, 101) == pytest.approx(expected, rel=1e-12)


@pytest.mark.models
def test_classifiers_on_a_real_photo_are_deterministic_and_refuse_a_non_face(raw_model):
    from conftest import require_shared_data
    from tf_reconstruct.align.photo_align import NoFaceFoundError
    from tf_reconstruct.attributes import classifiers
    from tf_reconstruct.datasets import lfw
    dataset = lfw.load_lfw(require_shared_data("lfw"))
    image = dataset.read(["George_W_Bush_0001"])["George_W_Bush_0001"]
    judges = [classifiers.load("gender"), classifiers.load("age")]
    first, second = classifiers.describe(image, judges), classifiers.describe(image, judges)
    assert first == second
    assert first["gender"] > 0.5 and 30 < first["age"] < 75   # a man in his fifties
    with pytest.raises(NoFaceFoundError, match="grey wall"):
        classifiers.describe(np.full((200, 200, 3), 128, np.uint8), judges, "grey wall")
    with pytest.raises(ValueError, match="unknown attribute"):
        classifiers.load("height")
