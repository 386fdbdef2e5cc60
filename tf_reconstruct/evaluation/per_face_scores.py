"""Per-face scores of a method as CSV, for git: what a later paired comparison reads when the method's weights
or cached outputs are gone (they are never committed, and a new machine starts without them)."""

import math

import numpy as np

from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import report_files


def write_scores(path, names, values, made_by):
    """Writes one row per face: its name, what made the scores (`made_by`, so that a later run can tell a
    retrained method's scores from these) and each measure of `values` ({measure: [len(names)] floats})."""
    rows = [{"face": name, "made by": made_by,
             **{measure: float(column[index]) for measure, column in values.items()}}
            for index, name in enumerate(names)]
    report_files.write_csv(path, rows)


def read_scores(path, names):
    """({measure: [len(names)] float array}, made_by) of a file write_scores wrote for the same faces in the same
    order; (None, None) when there is no file. A file of other faces is refused: pairing it would compare
    different photos."""
    rows = report_files.read_csv(path)
    if not rows:
        return None, None
    found = [str(row["face"]) for row in rows]
    if found != list(names):
        raise InputError(f"{path} scores other faces than this test set ({len(found)} rows against {len(names)} "
                         f"faces); move it aside or run its method again")
    measures = [key for key in rows[0] if key not in ("face", "made by")]
    values = {measure: np.array([_number(row[measure]) for row in rows], np.float64) for measure in measures}
    return values, str(rows[0]["made by"])


def _number(value):
    # read_csv gives numbers back parsed ("nan" included); an empty cell is a missing score.
    return math.nan if value == "" else float(value)
