"""A training run's curve for git: the run folder's logs (weights stay out of git) summarised beside them.

    write_training_report(run_dir, report_dir, telea) -> report_dir/<run>/: losses.csv (each term's mean
        per `every` steps), validation.csv, training.json (with Telea's validation hole L1, the anchor) and
        curve.png
"""

import json
import pathlib

import numpy as np

from tf_reconstruct import atomic_files
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.inpainting import trainer
from tf_reconstruct.plots.training_curves import save_training_and_validation


def binned_means(logged, every):
    """{column: values} of each `every` consecutive steps' mean; "step" is each bin's last step."""
    count = len(logged["step"]) // every
    if count == 0:
        return {name: np.array([]) for name in logged}
    means = {name: values[:count * every].reshape(count, every).mean(axis=1) for name, values in logged.items()}
    means["step"] = logged["step"][every - 1:count * every:every]
    return means


def write_training_report(run_dir, report_dir, telea=None, every=50):
    run_dir = pathlib.Path(run_dir)
    folder = pathlib.Path(report_dir) / run_dir.name
    logged = trainer.read_losses(run_dir)
    means = binned_means(logged, every)
    names = list(means)
    rows = [{name: (int(means[name][i]) if name == "step" else round(float(means[name][i]), 6)) for name in names}
            for i in range(len(means["step"]))]
    if rows:
        report_files.write_csv(folder / "losses.csv", rows)
    validation = report_files.read_csv(run_dir / "validation.csv")
    if validation:
        report_files.write_csv(folder / "validation.csv", validation)
    summary = json.loads((run_dir / "training.json").read_text())
    summary["telea_validation_hole_l1"] = telea
    atomic_files.write_text(folder / "training.json", json.dumps(summary, indent=1))
    save_training_and_validation(
        folder / "curve.png", {"hole-weighted L1": (logged["step"], logged["reconstruction"])},
        ([row["step"] for row in validation], [row["hole_l1"] for row in validation]), telea,
        f"{run_dir.name}: {summary['steps']} steps, {summary['training_faces']} training faces")
    return folder
