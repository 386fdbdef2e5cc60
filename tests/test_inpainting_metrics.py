"""Inpainting metrics on hand-computed cases."""

import numpy as np
import pytest

from tf_reconstruct.metrics import inpainting


def test_psnr_and_l1_over_all_pixels_and_the_hole():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 255                       # one pixel wrong by 255 in all channels
    mask = np.zeros((4, 4), np.uint8)
    mask[0, :2] = 1                     # the hole: that pixel and a correct one
    assert inpainting.psnr(a, b) == pytest.approx(10 * np.log10(16))          # MSE = 255^2 / 16
    assert inpainting.psnr(a, b, mask) == pytest.approx(10 * np.log10(2))     # MSE = 255^2 / 2
    assert inpainting.l1(a, b) == pytest.approx(1 / 16) and inpainting.l1(a, b, mask) == pytest.approx(0.5)
    assert inpainting.psnr(a, a) == float("inf")
    with pytest.raises(ValueError, match="no pixel"):
        inpainting.l1(a, b, np.zeros((4, 4)))


def test_ssim_is_one_for_equal_images_and_lower_in_a_damaged_box():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    assert inpainting.ssim(a, a) == pytest.approx(1.0, abs=1e-6)
    b = a.copy()
    b[10:14, 10:30] = 0
    mask = np.zeros((32, 32), np.uint8)
    mask[10:14, 10:30] = 1              # 4 rows: widened to the 11-px window
    assert inpainting.ssim(a, b, mask) < inpainting.ssim(a, b) < 1.0


def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4000, 3))
    assert inpainting.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # Same covariance, mean shifted by (1, 2, 0): distance ||shift||^2 = 5 up to sampling.
    assert inpainting.frechet_distance(a, a + [1.0, 2.0, 0.0]) == pytest.approx(5.0, abs=1e-6)
    # Scaled by 2 (covariance 4 I against I): Tr(I + 4I - 2 * 2I) = 3 per unit variance.
    b = rng.standard_normal((4000, 3))
    assert inpainting.frechet_distance(a, 2 * b) == pytest.approx(3.0, rel=0.1)


def test_paired_difference_by_hand():
    mean, error = inpainting.paired_difference([3, 5, 7, np.nan], [1, 2, 3, 4])   # differences 2, 3, 4
    assert mean == pytest.approx(3.0) and error == pytest.approx(1 / np.sqrt(3))
    with pytest.raises(ValueError, match="same shape"):
        inpainting.paired_difference([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2"):
        inpainting.paired_difference([1, np.nan], [0, 0])


def test_seam_jump_averages_the_steps_across_the_hole_border():
    image = np.zeros((3, 3, 3), np.uint8)
    image[1, 1] = 30                    # the hole's one pixel, 30 above its four neighbours
    hole = np.zeros((3, 3), np.uint8)
    hole[1, 1] = 1
    assert inpainting.seam_jump(image, hole) == pytest.approx(30.0)
    image[0, 1] = 30                    # one neighbour now matches it: (0 + 30 + 30 + 30) / 4
    assert inpainting.seam_jump(image, hole) == pytest.approx(22.5)
    with pytest.raises(ValueError, match="no border"):
        inpainting.seam_jump(image, np.zeros((3, 3)))
