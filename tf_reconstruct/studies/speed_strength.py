"""`python -m tf_reconstruct.studies.speed_strength`: the speed-strength table and plot of issue 35, from the
summary.csv of finished runs (the fidelity screen, the 48, the 149).

For each method of each run: type I / II TAR % under the judges, gender agreement, mean steps, s / face as the
run measured it, and s / face as a ratio to the reference method's (ours_plus) in the same run, where the run
has it. Writes <out>.csv, <out>.md and <out>.png (strength against time).

    split_pair("97.9 / 92.8") -> (97.9, 92.8)        table_rows(summary rows, run, names) -> rows
"""

import csv
import pathlib

import numpy as np
from absl import app, flags

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import methods as methods_module, report_files
from tf_reconstruct.plots.strength_time import plot_strength_time

FLAGS = flags.FLAGS
JUDGES = ("mobilefacenet512", "dlib_resnet128")


def split_pair(text):
    """'97.9 / 92.8' -> (97.9, 92.8); an empty cell -> (nan, nan)."""
    if not text or "/" not in text:
        return float("nan"), float("nan")
    first, second = text.split("/")
    return float(first), float(second)


def _number(text):
    return float(text) if text not in ("", None) else float("nan")


def table_rows(summary_rows, run, names, reference="ours_plus"):
    """Rows {run, method, identities, <judge> I, <judge> II, gender, steps, seconds, ratio} of one run's summary
    rows; `names` maps a method's label to its name. ratio: the reference's s / face over this method's."""
    rows = []
    for summary in summary_rows:
        row = {"run": run, "method": names.get(summary["method"], summary["method"]),
               "identities": int(summary["identities"]), "gender": _number(summary.get("gender agreement %")),
               "steps": _number(summary["mean steps"]), "seconds": _number(summary["s / face"])}
        for judge in JUDGES:
            row[f"{judge} I"], row[f"{judge} II"] = split_pair(summary.get(f"{judge} I / II", ""))
        rows.append(row)
    seconds = {row["method"]: row["seconds"] for row in rows}
    for row in rows:
        row["ratio"] = seconds.get(reference, float("nan")) / row["seconds"] if row["seconds"] else float("nan")
    return rows


def method_names():
    """{label: name} of every method main can run."""
    return {methods_module.LABELS[name]: name for name in methods_module.METHODS if name in methods_module.LABELS}


def _cell(value, digits=1):
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


def markdown_rows(rows):
    return [{"people": f"{row['run']} ({row['identities']})", "method": row["method"],
             **{f"{judge} I / II": f"{_cell(row[f'{judge} I'])} / {_cell(row[f'{judge} II'])}" for judge in JUDGES},
             "gender %": _cell(row["gender"]), "mean steps": _cell(row["steps"]),
             "s / face (as run)": _cell(row["seconds"]), "x faster than ours_plus (same run)": _cell(row["ratio"])}
            for row in rows]


def main(argv):
    del argv
    rows = []
    for folder in FLAGS.speed_runs:
        summary = pathlib.Path(folder) / "summary.csv"
        if not summary.is_file():
            raise InputError(f"--speed_runs: {summary} is missing; run `python -m tf_reconstruct.main` there first")
        with summary.open() as handle:
            found = [row for row in csv.DictReader(handle) if not FLAGS.speed_methods
                     or method_names().get(row["method"], row["method"]) in FLAGS.speed_methods]
        rows += table_rows(found, pathlib.Path(folder).name, method_names())
    out = pathlib.Path(FLAGS.speed_out)
    report_files.write_csv(out.with_suffix(".csv"), markdown_rows(rows))
    report_files.write_text(out.with_suffix(".md"), report_files.markdown_table(markdown_rows(rows)))
    plot_strength_time(rows, JUDGES, out.with_suffix(".png"))
    print(report_files.markdown_table(markdown_rows(rows)))


if __name__ == "__main__":
    project_flags.define_speed_strength_flags()
    app.run(cli.clean_errors(main))
