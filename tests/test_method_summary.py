"""The per-method summary picks each method's full row at one operating point and joins its resemblance."""

from tf_reconstruct.evaluation import method_summary


def _row(method, extractor, impostors, one, two, steps=100.0):
    return {"method": method, "extractor": extractor, "impostors": impostors, "identities": 24,
            "type I TAR %": one, "type II TAR %": two, "mean steps": steps, "s / face": 60.0}


def test_summary_rows_join_evaluators_and_resemblance():
    table3 = [_row("ours", "a", "lfw-all", 90.0, 80.0), _row("ours", "a", "all", 10.0, 10.0),
              _row("ours", "b", "lfw-all", 50.0, 25.5), _row("ours + x", "a", "lfw-all", 100.0, 99.0, 40.0),
              _row("ours + x, on the 3 ours has finished", "a", "lfw-all", 0.0, 0.0)]
    resemblance = [{"faces": "real photos: another photo of the same person", "gender agreement %": 80.0,
                    "mean age difference (abs, years)": 5.0},
                   {"faces": "ours", "gender agreement %": 75.0, "mean age difference (abs, years)": 9.5}]
    rows = method_summary.summary_rows(table3, resemblance, "lfw-all", ["a", "b"])
    assert [row["method"] for row in rows] == ["ours", "ours + x"]
    assert rows[0]["a I / II"] == "90.0 / 80.0" and rows[0]["b I / II"] == "50.0 / 25.5"
    assert rows[0]["gender agreement %"] == 75.0 and rows[0]["age difference (years)"] == 9.5
    assert rows[1]["b I / II"] == "" and rows[1]["mean steps"] == 40.0 and rows[1]["gender agreement %"] == ""


def test_summary_adds_type_two_per_identity_only_where_the_table_has_it():
    table3 = [{**_row("ours", "a", "lfw-all", 90.0, 80.0), "type II TAR % per identity": 62.5},
              {**_row("ours", "b", "lfw-all", 50.0, 25.5), "type II TAR % per identity": float("nan")}]
    rows = method_summary.summary_rows(table3, [], "lfw-all", ["a", "b"])
    assert rows[0]["a II per identity"] == "62.5" and "b II per identity" not in rows[0]
    older = method_summary.summary_rows([_row("ours", "a", "lfw-all", 90.0, 80.0)], [], "lfw-all", ["a"])
    assert "a II per identity" not in older[0]


def test_summary_adds_the_consistent_gender_agreement_only_where_the_resemblance_table_has_it():
    table3 = [_row("ours", "a", "lfw-all", 90.0, 80.0)]
    resemblance = [{"faces": "ours", "gender agreement %": 75.0, "gender agreement, consistent photos %": 87.5,
                    "mean age difference (abs, years)": 9.5}]
    [row] = method_summary.summary_rows(table3, resemblance, "lfw-all", ["a"])
    assert row["gender agreement, consistent photos %"] == "87.5"
    assert list(row).index("gender agreement, consistent photos %") == list(row).index("gender agreement %") + 1
    [older] = method_summary.summary_rows(table3, [{"faces": "ours", "gender agreement %": 75.0}], "lfw-all", ["a"])
    assert "gender agreement, consistent photos %" not in older
