"""One row per method of a run: every evaluator's type I / type II TAR at one operating point beside the
resemblance and the cost, from the run's table3.csv and resemblance.csv (the screening table of
experiments/fidelity).

    summary_rows(table3 rows, resemblance rows, impostors, evaluators) -> [row]
    write_summary(run_dir, impostors) -> rows, also written as <run_dir>/summary.md and .csv
"""

from tf_reconstruct.evaluation import report_files


def summary_rows(table3, resemblance, impostors, evaluators):
    """Rows of the methods scored on all their identities (not the 'on ...' subsets) at `impostors`."""
    by_label = {row["faces"]: row for row in resemblance}
    rows = {}
    for row in table3:
        if row["impostors"] != impostors or ", on " in row["method"] or row["extractor"] not in evaluators:
            continue
        summary = rows.setdefault(row["method"], {"method": row["method"], "identities": row["identities"]})
        summary[f"{row['extractor']} I / II"] = f"{row['type I TAR %']:.1f} / {row['type II TAR %']:.1f}"
        summary[f"{row['extractor']} II per identity"] = _percent(row.get("type II TAR % per identity", ""))
        summary["mean steps"] = row["mean steps"]
        summary["s / face"] = row.get("s / face", "")
    for label, summary in rows.items():
        judged = by_label.get(label, {})
        summary["gender agreement %"] = judged.get("gender agreement %", "")
        summary["gender agreement, consistent photos %"] = _percent(judged.get("gender agreement, consistent photos %"))
        summary["age difference (years)"] = judged.get("mean age difference (abs, years)", "")
    per_identity = [f"{name} II per identity" for name in evaluators
                    if any(summary.get(f"{name} II per identity") for summary in rows.values())]
    # Older resemblance tables lack the consistent agreement; their summaries keep their columns.
    consistent = (["gender agreement, consistent photos %"]
                  if any(summary["gender agreement, consistent photos %"] for summary in rows.values()) else [])
    columns = ["method", "identities", *[f"{name} I / II" for name in evaluators], *per_identity,
               "gender agreement %", *consistent, "age difference (years)", "mean steps", "s / face"]
    return [{column: summary.get(column, "") for column in columns} for summary in rows.values()]


def _percent(value):
    """'' for a value a table lacks (older tables) or NaN, else one decimal."""
    if value in ("", None) or value != value:
        return ""
    return f"{float(value):.1f}"


def write_summary(run_dir, impostors, evaluators):
    table3 = report_files.read_csv(run_dir / "table3.csv")
    resemblance = report_files.read_csv(run_dir / "resemblance.csv")
    rows = summary_rows(table3, resemblance, impostors, evaluators)
    ceiling = next((row for row in resemblance if row["faces"].startswith("real photos")), None)
    heading = (f"Every method of {run_dir.name}: type I / type II TAR % at FAR 0.1% (impostors {impostors}) under "
               f"each evaluator (and type II averaged per identity, each person counting once, where the table has "
               f"it), gender agreement with the source photo (also over the people whose two photos the judge calls alike, "
               f"where the table has it) and mean absolute age difference (judges only), mean "
               f"steps and wall seconds per face on one machine. " + (
                   f"Two real photos of one person agree in gender {ceiling['gender agreement %']:.1f}% of the time "
                   f"by the same judge." if ceiling else ""))
    if rows:
        report_files.write_table(run_dir / "summary", rows, heading)
    return rows
