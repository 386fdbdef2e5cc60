"""How well an edit is controlled, as pure functions (issue 20's edit-control measures).

    spearman(x [N], y [N]) -> rank correlation in [-1, 1] (ties get their mean rank)
    leakage(before [N], after [N], scale) -> mean |after - before| / scale, NaN pairs dropped
    acceptance(similarities [N], threshold) -> % of comparisons at or above the threshold (a TAR)
"""

import numpy as np


def ranks(values):
    """1-based ranks with ties sharing their mean rank."""
    values = np.asarray(values, np.float64)
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values), np.float64)
    ranked[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        if tied.sum() > 1:
            ranked[tied] = ranked[tied].mean()
    return ranked


def spearman(x, y):
    """Spearman's rank correlation of finite pairs; NaN with fewer than 3 pairs or a constant side."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3:
        return float("nan")
    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def leakage(before, after, scale):
    """Mean absolute change of an attribute the edit was not meant to move, in units of `scale` (its spread)."""
    before, after = np.asarray(before, np.float64), np.asarray(after, np.float64)
    keep = np.isfinite(before) & np.isfinite(after)
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(after[keep] - before[keep])) / scale)


def acceptance(similarities, threshold):
    """Per cent of comparisons whose similarity reaches `threshold` (NaN, a face not found, counts as rejected)."""
    similarities = np.asarray(similarities, np.float64)
    if not len(similarities):
        return float("nan")
    return float(100.0 * np.mean(np.nan_to_num(similarities, nan=-np.inf) >= threshold))
