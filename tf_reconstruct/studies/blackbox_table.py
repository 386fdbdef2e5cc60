"""`python -m tf_reconstruct.studies.blackbox_table`: the black-box study's table (issue 37) from finished runs.

Each run folder is a `python -m tf_reconstruct.main --attack_model=dlib_resnet128 --methods=bb_...` run; its
summary.csv holds every method's type I / II per evaluator and gender agreement (evaluation/method_summary.py),
and each face's record its oracle calls, seconds and the models it touched. This writes
<out>/table_blackbox.{md,csv}: per run and method, oracle queries per face (mean, 95th percentile), s / face,
type I / II on dlib (the attacked black box) and on the judges, and gender agreement; MobileFaceNet-192 is
marked 'surrogate' where the route used it (it is then no judge). The bank's one-off oracle cost heads it.

    query_stats(calls) -> (mean, 95th percentile)     blackbox_rows(run_dir) -> rows
    anchor_entry('<run>[:<method>]', default method) -> (run, method)
"""

import json
import pathlib

import numpy as np
from absl import app, flags

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.blackbox import oracle_bank
from tf_reconstruct.blackbox.methods import BB_METHODS
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import methods as run_methods, report_files
from tf_reconstruct.optimize import runner

FLAGS = flags.FLAGS
SURROGATE = "mobilefacenet192"


def query_stats(calls):
    """Mean and 95th percentile (numpy's linear interpolation) of per-face oracle calls."""
    calls = np.asarray(calls, np.float64)
    return float(calls.mean()), float(np.percentile(calls, 95))


def _records(run_dir, method):
    folder = run_methods.output_dir(run_dir, method)
    return [runner.read_record(folder, path.stem) for path in sorted(folder.glob("*.json"))
            if runner.is_done(folder, path.stem)]


def blackbox_rows(run_dir):
    """The table's rows of one run: each black-box method its summary.csv scores."""
    run_dir = pathlib.Path(run_dir)
    summary = {row["method"]: row for row in report_files.read_csv(run_dir / "summary.csv")}
    if not summary:
        raise InputError(f"{run_dir} has no summary.csv: run `python -m tf_reconstruct.main ... --methods=bb_...` "
                         f"there first")
    rows = []
    for method in BB_METHODS:
        scored = summary.get(run_methods.LABELS[method])
        records = _records(run_dir, method)
        if scored is None or not records:
            continue
        mean, p95 = query_stats([record["oracle_calls"] for record in records])
        touched = BB_METHODS[method].uses_surrogate
        rows.append({"run": run_dir.name, "method": method, "identities": scored["identities"],
                     "oracle queries / face (mean)": round(mean, 1), "oracle queries / face (p95)": round(p95, 1),
                     "s / face": round(float(np.mean([record["seconds"] for record in records])), 1),
                     "dlib (attacked) I / II": scored.get("dlib_resnet128 I / II", ""),
                     "MobileFaceNet-512 (judge) I / II": scored.get("mobilefacenet512 I / II", ""),
                     "MobileFaceNet-192 I / II": (f"surrogate: {scored.get(f'{SURROGATE} I / II', '')}" if touched
                                                  else f"judge: {scored.get(f'{SURROGATE} I / II', '')}"),
                     **_resemblance_columns(scored)})
    return rows


def anchor_rows(run_dir, method):
    """The white-box anchor: `method`'s row of a white-box run on the same people (it attacks MobileFaceNet-192's
    templates with its gradients and never touches dlib), for scale."""
    run_dir = pathlib.Path(run_dir)
    scored = {row["method"]: row for row in report_files.read_csv(run_dir / "summary.csv")}.get(
        run_methods.LABELS[method])
    if scored is None:
        raise InputError(f"{run_dir}/summary.csv has no row of {method}; give a run that compared it")
    return [{"run": run_dir.name, "method": f"white box: {method} (attacks MobileFaceNet-192, dlib untouched)",
             "identities": scored["identities"], "oracle queries / face (mean)": 0, "oracle queries / face (p95)": 0,
             "s / face": round(float(scored["s / face"]), 1),
             "dlib (attacked) I / II": f"judge: {scored.get('dlib_resnet128 I / II', '')}",
             "MobileFaceNet-512 (judge) I / II": scored.get("mobilefacenet512 I / II", ""),
             "MobileFaceNet-192 I / II": f"attacked: {scored.get(f'{SURROGATE} I / II', '')}",
             **_resemblance_columns(scored)}]


def _resemblance_columns(scored):
    """The columns every row takes alike from its summary row: gender agreement and dlib's type II per identity."""
    return {"gender agreement %": _one_decimal(scored.get("gender agreement %", "")),
            "gender agreement, consistent photos %": _one_decimal(
                scored.get("gender agreement, consistent photos %", "")),
            "dlib II per identity": scored.get("dlib_resnet128 II per identity", "")}


def anchor_entry(entry, default_method):
    """'<run>' or '<run>:<method>' -> (run, method): a run whose anchor method has another name."""
    run_dir, _, method = entry.partition(":")
    return run_dir, method or default_method


def _one_decimal(value):
    return "" if value in ("", None) else f"{float(value):.1f}"


def bank_cost(baselines_dir, oracle_name="dlib_resnet128"):
    """The bank's one-off oracle calls and seconds, or None when it is not scored."""
    path = oracle_bank.bank_dir(baselines_dir, oracle_name) / oracle_bank.RECORD
    return json.loads(path.read_text()) if path.is_file() else None


def main(argv):
    del argv
    rows = [row for run_dir in FLAGS.blackbox_runs for row in blackbox_rows(run_dir)]
    rows += [row for entry in FLAGS.blackbox_anchor_runs
             for row in anchor_rows(*anchor_entry(entry, FLAGS.blackbox_anchor))]
    cost = bank_cost(baselines_dir(None, SURROGATE, FLAGS.checkpoint_dir))
    heading = ("Black-box reconstruction (issue 37): the attacked system, dlib's ResNet, seen only as an oracle. "
               "Type I / II TAR % at FAR 0.1%, impostors `all`, at the thresholds of each run's own real photos "
               "(main's summary.csv). MobileFaceNet-512 and the gender judge never enter an attack; "
               "MobileFaceNet-192 is a judge only where the route does not use it as the surrogate. Oracle queries "
               "are per face, beyond the bank's one-off scoring" + (
                   f" ({cost['calls']} calls, {cost['seconds'] / 60:.0f} min once)." if cost else "."))
    out = pathlib.Path(FLAGS.blackbox_out)
    out.mkdir(parents=True, exist_ok=True)
    report_files.write_table(out / "table_blackbox", rows, heading)
    print(f"{len(rows)} rows -> {out / 'table_blackbox.md'}")


if __name__ == "__main__":
    project_flags.define_blackbox_table_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
