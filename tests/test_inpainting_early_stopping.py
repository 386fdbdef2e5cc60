"""The validation verdict that stops training, on hand-made histories."""

import math

import pytest

from tf_reconstruct.inpainting.early_stopping import verdict


def test_empty_history_never_stops():
    judged = verdict([], patience=1)
    assert not judged.stop and judged.best_step == 0 and judged.best_value == math.inf


def test_counts_validations_since_the_best():
    history = [(200, 0.30), (400, 0.25), (600, 0.26), (800, 0.25), (1000, 0.27)]
    judged = verdict(history, patience=3)
    assert (judged.best_step, judged.best_value, judged.stale, judged.stop) == (400, 0.25, 3, True)
    assert not verdict(history, patience=4).stop
    assert not verdict(history[:4], patience=3).stop


def test_min_delta_ignores_tiny_gains():
    history = [(1, 1.0), (2, 0.995), (3, 0.99)]
    assert verdict(history, patience=2, min_delta=0.02).best_step == 1
    assert verdict(history, patience=2, min_delta=0.02).stop
    assert verdict(history, patience=2).best_step == 3


def test_patience_must_be_positive():
    with pytest.raises(ValueError, match="patience"):
        verdict([(1, 1.0)], patience=0)
