"""Edit-control measures on hand-computed cases."""

import numpy as np
import pytest

from tf_reconstruct.metrics import editing


def test_ranks_share_ties():
    assert editing.ranks([10, 30, 20, 30]).tolist() == [1.0, 3.5, 2.0, 3.5]


def test_spearman_of_monotone_reversed_and_tied_data():
    assert editing.spearman([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(1.0)
    assert editing.spearman([1, 2, 3, 4], [5, 3, 2, 0]) == pytest.approx(-1.0)
    # ranks x = 1..4, y = 1, 2.5, 2.5, 4 -> corr = 4.5 / sqrt(5 * 4.5)
    assert editing.spearman([1, 2, 3, 4], [1, 2, 2, 4]) == pytest.approx(4.5 / np.sqrt(5 * 4.5))
    assert np.isnan(editing.spearman([1, 2], [1, 2]))
    assert np.isnan(editing.spearman([1, 2, 3], [5, 5, 5]))
    assert editing.spearman([1, 2, np.nan, 3], [1, 2, 7, 3]) == pytest.approx(1.0)


def test_leakage_is_the_mean_absolute_change_over_the_scale():
    assert editing.leakage([0, 1, 2], [1, 1, 0], scale=2.0) == pytest.approx((1 + 0 + 2) / 3 / 2)
    assert editing.leakage([0, np.nan], [4, 1], scale=1.0) == pytest.approx(4.0)


def test_acceptance_counts_at_or_above_threshold_and_rejects_missing_faces():
    assert editing.acceptance([0.2, 0.5, 0.7, np.nan], 0.5) == pytest.approx(50.0)
    assert np.isnan(editing.acceptance([], 0.5))
