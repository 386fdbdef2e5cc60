"""The running mean of training curves, on hand-computed values, and the plot is written."""

import numpy as np

from tf_reconstruct.plots import training_curves


def test_running_mean_by_hand():
    np.testing.assert_allclose(training_curves.running_mean([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
    np.testing.assert_allclose(training_curves.running_mean([1, 2, 3], 10), [2.0])   # window capped at the length
    np.testing.assert_allclose(training_curves.running_mean([5, 7], 1), [5, 7])


def test_curves_are_saved(tmp_path):
    steps = np.arange(1, 101)
    training_curves.save_training_curves(tmp_path / "c.png", {"a": (steps, 1 / steps), "b": (steps, 2 / steps)},
                                         "hole L1", "two runs", window=10)
    assert (tmp_path / "c.png").stat().st_size > 1000
