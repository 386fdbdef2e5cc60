"""The verification metrics on hand-built score arrays."""

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from tf_reconstruct.metrics import verification as v


def test_far_zero_threshold_is_the_maximum_impostor_score():
    impostors = np.array([0.1, 0.3, 0.2, 0.25])
    assert v.threshold_at_far(impostors, 0.0) == 0.3
    # Nothing at or below the threshold is accepted: FAR is exactly 0.
    assert v.acceptance_rate(impostors, 0.3) == 0.0


def test_threshold_lets_through_at_most_floor_far_times_n():
    impostors = np.arange(1000) / 1000.0          # 0.000 ... 0.999
    assert v.threshold_at_far(impostors, 0.001) == 0.998  # one score (0.999) above
    assert v.threshold_at_far(impostors, 0.01) == 0.989   # ten above
    assert v.threshold_at_far(impostors, 0.1) == 0.899
    for far in (0.001, 0.01, 0.1):
        assert v.acceptance_rate(impostors, v.threshold_at_far(impostors, far)) == pytest.approx(far)


def test_ties_are_rejected_so_the_achieved_far_stays_below_target():
    # Four impostors tie at 0.5: at FAR 0.2 (2 of 10 allowed) the threshold is 0.5 and none of the ties pass.
    impostors = np.array([0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.5, 0.5, 0.5, 0.5])
    threshold = v.threshold_at_far(impostors, 0.2)
    assert threshold == 0.5
    assert v.acceptance_rate(impostors, threshold) == 0.0
    # A genuine score equal to the threshold is rejected too.
    assert v.acceptance_rate([0.5, 0.6], threshold) == 0.5


def test_operating_points_hand_computed():
    impostors = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    genuine = np.array([0.35, 0.85, 0.95, 0.99])
    points = v.operating_points(impostors, genuine, fars=(0.0, 0.1, 0.5))
    assert points[0] == (0.0, 0.9, 0.0, 0.5)
    assert points[1] == (0.1, 0.8, 0.1, 0.75)
    assert points[2][1] == 0.4 and points[2][3] == 0.75


def test_threshold_agrees_with_sklearn_roc_on_untied_scores():
    rng = np.random.default_rng(0)
    impostors, genuine = rng.normal(0, 1, 5000), rng.normal(2, 1, 500)
    fpr, tpr, thresholds = roc_curve(np.r_[np.zeros(5000), np.ones(500)], np.r_[impostors, genuine])
    for far in (0.001, 0.01, 0.1):
        ours = v.acceptance_rate(genuine, v.threshold_at_far(impostors, far))
        # sklearn accepts score >= t; its best TPR with FPR <= far equals ours on untied data.
        assert ours == pytest.approx(tpr[fpr <= far].max(), abs=1e-12)


def test_bad_threshold_inputs():
    with pytest.raises(ValueError, match="no impostor"):
        v.threshold_at_far([], 0.1)
    with pytest.raises(ValueError, match="FAR"):
        v.threshold_at_far([0.1], 1.0)
    assert np.isnan(v.acceptance_rate([], 0.1))


def test_cosines():
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    b = np.array([[2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(v.cosine_rows(a, b), [1.0, np.sqrt(0.5)])
    np.testing.assert_allclose(v.cosine_matrix(a, b), [[1.0, np.sqrt(0.5)], [0.0, np.sqrt(0.5)]])


def test_negative_distances_and_the_similarity_lookup():
    a = np.array([[0.0, 0.0], [2.0, 0.0]])
    b = np.array([[3.0, 4.0], [1.0, 0.0]])
    np.testing.assert_allclose(v.negative_distance_rows(a, b), [-5.0, -1.0])
    np.testing.assert_allclose(v.negative_distance_matrix(a, b), [[-5.0, -1.0], [-np.sqrt(17.0), -1.0]])
    # Unlike a cosine, it sees the length: (2, 0) and (1, 0) have cosine 1 but distance 1.
    assert v.cosine_rows(a[1:], b[1:])[0] == pytest.approx(1.0)
    assert v.similarity_functions("negative_euclidean") == (v.negative_distance_rows, v.negative_distance_matrix)
    with pytest.raises(ValueError, match="unknown similarity"):
        v.similarity_functions("hamming")


def test_label_pairs():
    labels = ["a", "a", "b", "c"]
    assert list(zip(*v.same_label_pairs(labels))) == [(0, 1)]
    assert list(zip(*v.cross_label_pairs(labels))) == [(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def test_density_histogram():
    density = v.density_histogram([0.1, 0.2, 0.6, 0.7], np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(density, [1.0, 1.0])   # half the mass in each 0.5-wide bin
    np.testing.assert_allclose(v.density_histogram([], np.array([0.0, 1.0])), [0.0])


def test_auc():
    assert v.auc([0.1, 0.2], [0.3, 0.4]) == 1.0
    assert v.auc([0.1, 0.4], [0.3, 0.5]) == 0.75


def test_mean_acceptance_by_group_weights_groups_equally():
    # group x: 0 of 2 above 0.5; group y: 2 of 2 (0.5 itself is rejected in z) -> (0 + 1 + 0) / 3.
    assert v.mean_acceptance_by_group([0.1, 0.2, 0.7, 0.9, 0.5], ["x", "x", "y", "y", "z"], 0.5) == pytest.approx(1 / 3)
    assert np.isnan(v.mean_acceptance_by_group([], [], 0.5))
    with pytest.raises(ValueError, match="2 scores but 1 group"):
        v.mean_acceptance_by_group([0.1, 0.2], ["x"], 0.5)
