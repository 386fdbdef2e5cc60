"""The hole masks: deterministic per seed, ratios inside the requested bin, both kinds."""

import numpy as np
import pytest

from tf_reconstruct.inpainting import masks


@pytest.mark.parametrize("kind", ["free_form", "boxes"])
@pytest.mark.parametrize("low,high", masks.BINS)
def test_masks_fall_in_their_bin_and_repeat_per_seed(kind, low, high):
    for seed in range(5):
        mask, ratio = masks.mask_in_bin(64, seed, low, high, kind)
        assert mask.shape == (64, 64) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
        assert low <= ratio < high and ratio == masks.hole_ratio(mask) and ratio > 0
        again, _ = masks.mask_in_bin(64, seed, low, high, kind)
        np.testing.assert_array_equal(mask, again)
    first, _ = masks.mask_in_bin(64, 0, low, high, kind)
    second, _ = masks.mask_in_bin(64, 1, low, high, kind)
    assert not np.array_equal(first, second)


def test_bad_bins_and_kinds_are_refused():
    with pytest.raises(ValueError, match="low < high"):
        masks.mask_in_bin(64, 0, 0.4, 0.2)
    with pytest.raises(ValueError, match="free_form or boxes"):
        masks.mask_in_bin(64, 0, 0.0, 0.2, "circles")


def test_hole_ratio_counts_nonzero_pixels():
    mask = np.zeros((4, 4), np.uint8)
    mask[0, :2] = 1
    assert masks.hole_ratio(mask) == pytest.approx(2 / 16)


def test_the_test_sets_masks_are_recorded_once_and_a_redraw_is_checked_against_the_record(tmp_path):
    import json
    from tf_reconstruct.studies import inpainting_eval

    names = ["lfw/a", "lfw/b", "lfw/c", "ffhq/d"]
    holes, bins = inpainting_eval.fixed_masks(names, 3, tmp_path)
    assert list(bins) == [0, 1, 2, 0] and holes.shape == (4, 256, 256)
    record = json.loads((tmp_path / "masks.json").read_text())
    assert record["seeds"] == [300009, 300010, 300011, 300012] and record["kinds"][:2] == ["free_form", "boxes"]
    # Another machine has the record but not masks.npz: the same holes are drawn again from their seeds.
    (tmp_path / "masks.npz").unlink()
    again, _ = inpainting_eval.fixed_masks(names, 3, tmp_path)
    np.testing.assert_array_equal(again, holes)
    # Other holes than the record's (here another seed) are refused, naming the record.
    (tmp_path / "masks.npz").unlink()
    with pytest.raises(ValueError, match="differ from those .*masks.json records"):
        inpainting_eval.fixed_masks(names, 4, tmp_path)
