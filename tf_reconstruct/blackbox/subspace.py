"""Low-dimensional search spaces around a start w+, for a gradient-free search against the oracle.

    pca_basis(latents [N, 512], k) -> (directions [k, 512] orthonormal, scales [k] standard deviations)
    neighbour_basis(latents [K, 512], centre [512], k) -> (directions [k', 512], scales [k'])
    row_groups(num_ws, groups) -> [num_ws] group index of each w+ row
    to_w_plus(start [num_ws, 512], coefficients [P, groups * k], directions, scales, groups, moving=None)
        -> [P, num_ws, 512]

A search in all of w+ (23 x 512 numbers) with a few thousand queries finds noise; in the span of the
bank's main directions of variation it stays on faces. Coefficients are in units of each direction's
standard deviation over the bank, so a unit step is a typical change of face. `groups` lets the coarse
rows (pose, face shape) and the finer rows (features, texture) move apart: W+ rather than W.
"""

import numpy as np


def pca_basis(latents, k):
    """The k main directions of variation of `latents` [N, 512] and their standard deviations."""
    latents = np.asarray(latents, np.float64)
    centred = latents - latents.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(k, len(singular))
    return vt[:k].astype(np.float32), (singular[:k] / np.sqrt(max(len(latents) - 1, 1))).astype(np.float32)


def neighbour_basis(latents, centre, k):
    """An orthonormal basis of the span of (neighbour - centre) for the given neighbours [K, 512], with the
    spread of the neighbours along each direction as its scale; directions with no spread are dropped."""
    offsets = np.asarray(latents, np.float64) - np.asarray(centre, np.float64)
    _, singular, vt = np.linalg.svd(offsets, full_matrices=False)
    keep = singular > 1e-6 * max(singular.max(initial=0.0), 1e-12)
    keep[k:] = False
    scales = singular[keep] / np.sqrt(max(len(offsets), 1))
    return vt[keep].astype(np.float32), scales.astype(np.float32)


def row_groups(num_ws, groups):
    """Each w+ row's group: `groups` contiguous bands, the first rows (coarse) in group 0; 1 group is W."""
    if not 1 <= groups <= num_ws:
        raise ValueError(f"groups must be between 1 and num_ws={num_ws}, not {groups}")
    return np.minimum(np.arange(num_ws) * groups // num_ws, groups - 1)


def to_w_plus(start, coefficients, directions, scales, groups=1, moving=None):
    """w+ [P, num_ws, 512]: the start plus, in each row group, its own combination of the scaled directions.

    coefficients [P, groups * k], group-major (the first k move group 0); `moving` [num_ws] bool, when given,
    keeps the other rows at the start's (the rows the oracle's render does not read)."""
    start = np.asarray(start, np.float32)
    coefficients = np.atleast_2d(np.asarray(coefficients, np.float32))
    k = len(directions)
    if coefficients.shape[1] != groups * k:
        raise ValueError(f"{coefficients.shape[1]} coefficients for {groups} groups of {k} directions")
    steps = coefficients.reshape(len(coefficients), groups, k) * scales            # [P, G, k]
    offsets = np.einsum("pgk,kd->pgd", steps, directions)                           # [P, G, 512]
    offsets = offsets[:, row_groups(len(start), groups)]                             # [P, num_ws, 512]
    if moving is not None:
        offsets = offsets * np.asarray(moving, np.float32)[None, :, None]
    return start[None] + offsets
