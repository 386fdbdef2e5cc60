"""Compositing a generated fill: every blend leaves the pixels outside the hole unchanged, and the seamless
ones remove a colour step that pasting keeps."""

import numpy as np
import pytest

from tf_reconstruct.inpainting import compositing
from tf_reconstruct.metrics.inpainting import seam_jump


def _scene():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64]
    original = np.stack([80 + xx, 60 + yy, 100 + (xx + yy) // 2], axis=-1).astype(np.float64)
    original = np.clip(original + rng.normal(0, 2, original.shape), 0, 255).astype(np.uint8)
    generated = np.clip(original.astype(int) + 40, 0, 255).astype(np.uint8)   # right texture, too bright
    hole = np.zeros((64, 64), np.uint8)
    hole[20:40, 15:45] = 1
    return original, generated, hole


@pytest.mark.parametrize("blend", compositing.BLENDS)
def test_pixels_outside_the_hole_are_unchanged(blend):
    original, generated, hole = _scene()
    out = compositing.composite(generated, original, hole, blend)
    np.testing.assert_array_equal(out[hole == 0], original[hole == 0])
    assert out.dtype == np.uint8 and out.shape == original.shape


def test_a_hole_at_the_image_border_and_in_two_parts_blends_too():
    original, generated, _ = _scene()
    hole = np.zeros((64, 64), np.uint8)
    hole[0:10, 0:64] = 1
    hole[50:60, 5:12] = 1
    out = compositing.poisson(generated, original, hole)
    np.testing.assert_array_equal(out[hole == 0], original[hole == 0])


def test_poisson_and_feather_remove_the_colour_step_pasting_keeps():
    original, generated, hole = _scene()
    natural = seam_jump(original, hole)
    pasted = seam_jump(compositing.paste(generated, original, hole), hole)
    assert pasted > natural + 30
    for blend in ("poisson", "feather"):
        blended = compositing.composite(generated, original, hole, blend)
        assert seam_jump(blended, hole) < natural + 5, blend
        # The fill keeps the generated face's texture: near the original in the hole once the step is gone.
        assert np.abs(blended[hole > 0].astype(int) - original[hole > 0]).mean() < 8, blend


def test_poisson_of_the_original_itself_changes_nothing_in_place():
    original, _, hole = _scene()
    out = compositing.poisson(original, original, hole)
    assert np.abs(out.astype(int) - original).max() <= 2   # no shift of the cloned box


def test_colour_matching_moves_mean_and_spread_to_the_ring():
    generated = np.zeros((8, 8, 3), np.uint8)
    generated[:, :4] = 10
    generated[:, 4:] = 30                # mean 20, spread 10
    original = np.full((8, 8, 3), 100, np.uint8)
    original[:, 4:] = 140                # mean 120, spread 20
    matched = compositing.match_colours(generated, original, np.ones((8, 8), bool))
    assert matched[0, 0, 0] == 100 and matched[0, 7, 0] == 140


def test_unknown_blend_is_refused():
    original, generated, hole = _scene()
    with pytest.raises(ValueError, match="choose from paste"):
        compositing.composite(generated, original, hole, "smear")
