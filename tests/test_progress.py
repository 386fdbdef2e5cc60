"""The reconstruction bar's work estimate, on hand-computed cases: face-steps, a prior shrunk towards the
finished faces' mean, never below the work already done."""

import pytest

from tf_reconstruct.optimize import progress
from tf_reconstruct.optimize.settings import EngineSettings


def test_expected_steps_start_at_the_prior_and_move_to_the_finished_faces_mean():
    assert progress.expected_steps([], 300) == 300
    # Two faces of 100 and 200 steps against a prior of 300 weighing as 2 faces: (300 + 600) / 4.
    assert progress.expected_steps([100, 200], 300) == pytest.approx(225)
    assert progress.expected_steps([100] * 98, 300) == pytest.approx((9800 + 600) / 100)


def test_total_work_is_finished_steps_plus_the_estimate_and_never_less_than_done():
    assert progress.total_work(4, [100, 200], 300, done_work=350) == pytest.approx(300 + 2 * 225)
    assert progress.total_work(2, [100, 200], 300, done_work=300) == 300        # all finished: exact
    assert progress.total_work(3, [], 300, done_work=1000) == 1001              # running long: just ahead


def test_the_bar_counts_face_steps_and_rescales_as_faces_finish():
    settings = EngineSettings(steps=2000, patience=50)
    with progress.progress_bar(4, settings, disable=True) as bar:
        assert bar.bar.total == 4 * 300                                          # 6 x patience each
        for _ in range(100):
            bar.step(4)                                                          # 4 live slots a step
        bar.face_done(100)
        assert bar.done == 400 and bar.bar.total == round(100 + 3 * (100 + 600) / 3)
    # A short cap bounds the prior.
    with progress.progress_bar(2, EngineSettings(steps=6), disable=True) as bar:
        assert bar.bar.total == 12
