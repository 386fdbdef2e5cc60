"""The black-box query benchmark's arithmetic, by hand (the timing itself is a benchmark, not a test)."""

import pytest

from tf_reconstruct.studies.query_speed import rows, timed


def test_each_query_is_the_sum_of_its_parts_as_a_ratio_to_the_one_worker_query():
    seconds = {"render (256 px, warp)": 0.16, "oracle, 1 worker": 0.8, "oracle, 2 workers": 0.4,
               "surrogate (joint term)": 0.16}
    table = {row["part"]: row for row in rows(seconds, popsize=16)}
    assert table["query: render + oracle (1 worker)"]["ms / query"] == 60.0          # 0.96 s / 16
    assert table["query: render + oracle (1 worker)"]["ratio to a 1-worker query"] == 1.0
    assert table["query: render + oracle (2 workers)"]["ratio to a 1-worker query"] == pytest.approx(0.583)
    assert table["joint query: render + oracle (2 workers) + surrogate"]["ms / query"] == 45.0   # 0.72 s / 16
    assert table["oracle, 2 workers"]["ratio to a 1-worker query"] == pytest.approx(0.417)
    assert "joint query at 512 px: render + oracle (2 workers) + surrogate" not in table


def test_a_512_px_query_is_priced_with_its_own_render():
    seconds = {"render (256 px, warp)": 0.16, "render (512 px, warp)": 0.48, "oracle, 1 worker": 0.8,
               "oracle, 2 workers": 0.4, "surrogate (joint term)": 0.16}
    table = {row["part"]: row for row in rows(seconds, popsize=16)}
    assert table["joint query at 512 px: render + oracle (2 workers) + surrogate"]["ms / query"] == 65.0  # 1.04 / 16
    assert table["joint query: render + oracle (2 workers) + surrogate"]["ms / query"] == 45.0


def test_the_timer_calls_once_untimed_then_each_generation():
    calls = []
    assert timed(lambda: calls.append(1), generations=3) >= 0.0
    assert len(calls) == 4
