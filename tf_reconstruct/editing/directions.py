"""Editing along boundary normals, as pure functions (InterfaceGAN's linear edits and conditioning).

    conditioned(normal [D], conditions [[D], ...]) -> unit normal orthogonal to every condition
    layer_rows(generator_name, num_ws, layers) -> the w+ rows an edit touches
    edit(w_plus [num_ws, D], normal [D], strengths [S], rows) -> [S, num_ws, D]

A plain edit w' = w + alpha n also moves every attribute whose normal is correlated with n (age and
glasses, gender and hair). InterfaceGAN's conditional edit removes those components: n' = n - C^T (C
C^T)^-1 C n for the condition normals C (the original's closed forms for one and two conditions are
this), so the edit leaves the conditioning attributes' SVM scores unchanged to first order.
"""

import numpy as np

from tf_reconstruct.errors import InputError

# w+ rows by the resolution their style drives: coarse 4-8 px (pose, face shape), middle 16-32 px
# (features, expression), fine 64 px and up (colour, texture). MobileStyleGAN: row 0 at 4 px, block k
# (rows 3k+1..3k+3) at 2^(k+3) px (models/mobile_stylegan.py). StyleGAN2 at 1024: two rows per resolution.
LAYER_RANGES = {
    "mobilestylegan": {"coarse": (0, 4), "middle": (4, 10), "fine": (10, 23)},
    "stylegan2": {"coarse": (0, 4), "middle": (4, 8), "fine": (8, 18)},
}


def conditioned(normal, conditions):
    """`normal` with the span of `conditions` projected out, renormalised."""
    normal = np.asarray(normal, np.float64)
    if not len(conditions):
        return (normal / np.linalg.norm(normal)).astype(np.float32)
    basis = np.stack([np.asarray(condition, np.float64) for condition in conditions])
    gram = basis @ basis.T
    if np.linalg.matrix_rank(gram) < len(basis):
        raise InputError("the condition normals are linearly dependent; give distinct attributes")
    projected = normal - basis.T @ np.linalg.solve(gram, basis @ normal)
    length = np.linalg.norm(projected)
    if length < 1e-6:
        raise InputError("the edit direction lies in the span of its conditions: nothing is left to edit")
    return (projected / length).astype(np.float32)


def layer_rows(generator_name, num_ws, layers="all"):
    """The rows of w+ an edit of `layers` changes: 'all', a comma list of coarse/middle/fine, or 'a-b' (rows a
    to b inclusive)."""
    if layers == "all":
        return list(range(num_ws))
    ranges = LAYER_RANGES.get(generator_name, {})
    rows = set()
    for part in str(layers).split(","):
        part = part.strip()
        if part in ranges:
            rows.update(range(*ranges[part]))
        elif "-" in part and all(piece.isdigit() for piece in part.split("-", 1)):
            first, last = (int(piece) for piece in part.split("-", 1))
            if not 0 <= first <= last < num_ws:
                raise InputError(f"layers {part!r}: rows must lie in 0-{num_ws - 1}")
            rows.update(range(first, last + 1))
        else:
            raise InputError(f"unknown layers {part!r}; use all, {', '.join(ranges) or 'coarse, middle, fine'} "
                             f"or a row range such as 0-3")
    return sorted(rows)


def edit(w_plus, normal, strengths, rows=None):
    """w+ [num_ws, D] moved by each strength alpha along `normal` in `rows` (all rows by default):
    [len(strengths), num_ws, D]."""
    w_plus = np.asarray(w_plus, np.float32)
    if w_plus.ndim != 2 or w_plus.shape[1] != len(normal):
        raise ValueError(f"expected a w+ of shape [num_ws, {len(normal)}], got {w_plus.shape}")
    mask = np.zeros((w_plus.shape[0], 1), np.float32)
    mask[list(range(w_plus.shape[0])) if rows is None else rows] = 1.0
    steps = np.asarray(strengths, np.float32)[:, None, None] * mask[None] * np.asarray(normal, np.float32)[None, None]
    return w_plus[None] + steps
