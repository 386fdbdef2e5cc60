"""Operating points read from another finished run, so a dataset without identity labels (FFHQ) is scored at
the thresholds a real system would use, not at ones set from its own few impostor pairs.

    read_operating_points(run_dir, evaluator) -> {"<dataset>-<impostor mode>": [{FAR %, threshold,
                                                  achieved FAR %, normal TAR %}]}

The other run's table1.csv (evaluator = its attacker) or table2_<evaluator>.csv holds them.
"""

import csv
import json
import pathlib

from tf_reconstruct.errors import TfReconstructError

POINT_COLUMNS = ("FAR %", "threshold", "achieved FAR %", "normal TAR %")


def table_file(run_dir, evaluator_name):
    """The table of `run_dir` that holds the thresholds of `evaluator_name`, and that run's dataset name."""
    run_dir = pathlib.Path(run_dir)
    manifest_file = run_dir / "manifest.json"
    if not manifest_file.is_file():
        raise TfReconstructError(f"--thresholds_from={run_dir}: no manifest.json there; give a finished run folder "
                                 f"such as experiments/lfw/<run_name>")
    manifest = json.loads(manifest_file.read_text())
    same = evaluator_name == manifest.get("attack_extractor")
    path = run_dir / ("table1.csv" if same else f"table2_{evaluator_name}.csv")
    if not path.is_file():
        raise TfReconstructError(f"--thresholds_from={run_dir} has no thresholds for evaluator {evaluator_name} "
                                 f"({path.name} is missing): run it with --eval_models including {evaluator_name}")
    return path, manifest.get("dataset", run_dir.parent.name)


def read_operating_points(run_dir, evaluator_name):
    """{"<dataset>-<impostor mode>": operating points} of `evaluator_name` in the finished run `run_dir`."""
    path, dataset = table_file(run_dir, evaluator_name)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [column for column in ("impostors",) + POINT_COLUMNS if rows and column not in rows[0]]
    if not rows or missing:
        raise TfReconstructError(f"{path} is not a tf_reconstruct table (missing {missing or 'rows'}); "
                                 f"run that experiment again")
    points = {}
    for row in rows:
        points.setdefault(f"{dataset}-{row['impostors']}", []).append(
            {column: float(row[column]) for column in POINT_COLUMNS})
    return points
