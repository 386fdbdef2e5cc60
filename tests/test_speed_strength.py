"""The speed-strength table of issue 35: cells parsed by hand-computed cases, and each method's ratio to ours_plus
taken within its own run."""

import math

import pytest

from tf_reconstruct.studies import speed_strength


def test_split_pair_reads_type_one_and_two():
    assert speed_strength.split_pair("97.9 / 92.8") == (97.9, 92.8)
    assert all(math.isnan(value) for value in speed_strength.split_pair(""))


def test_rows_name_methods_and_divide_by_the_reference_of_the_same_run():
    summary = [{"method": "slow label", "identities": "48", "mobilefacenet512 I / II": "97.9 / 93.0",
                "dlib_resnet128 I / II": "93.8 / 79.4", "gender agreement %": "85.4", "mean steps": "264.2",
                "s / face": "80"},
               {"method": "fast label", "identities": "48", "mobilefacenet512 I / II": "97.9 / 92.8",
                "dlib_resnet128 I / II": "91.7 / 78.9", "gender agreement %": "", "mean steps": "62",
                "s / face": "16"}]
    rows = speed_strength.table_rows(summary, "48", {"slow label": "ours_plus", "fast label": "ours_fast"})
    fast = rows[1]
    assert fast["method"] == "ours_fast" and fast["ratio"] == pytest.approx(5.0) and rows[0]["ratio"] == 1.0
    assert (fast["dlib_resnet128 I"], fast["dlib_resnet128 II"]) == (91.7, 78.9) and math.isnan(fast["gender"])
    cells = speed_strength.markdown_rows(rows)[1]
    assert cells["gender %"] == "" and cells["x faster than ours_plus (same run)"] == "5.0"
    # Without the reference in the run there is no ratio.
    alone = speed_strength.table_rows(summary[1:], "24", {"fast label": "ours_fast"})
    assert math.isnan(alone[0]["ratio"])


def test_the_plot_is_written(tmp_path):
    summary = [{"method": "a", "identities": "2", "mobilefacenet512 I / II": "90 / 80", "dlib_resnet128 I / II":
                "80 / 70", "gender agreement %": "50", "mean steps": "10", "s / face": "5"}]
    rows = speed_strength.table_rows(summary, "run", {})
    speed_strength.plot_strength_time(rows, speed_strength.JUDGES, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 5000
