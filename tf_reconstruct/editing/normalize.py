"""Normalised faces after Cole et al. (2017): a latent moved until the classifiers read it frontal and neutral.

    normalize(w_plus [num_ws, D], measure, boundaries, targets, max_iterations) -> (w+, history)

Cole et al. synthesise a frontal, neutral-expression face from an identity feature with a decoder trained
for it. Here the face already exists (a reconstruction in W+), and the normal of each nuisance attribute
(yaw, pitch, smile) is a direction that changes it: a closed loop measures the rendered face
(`measure(w+) -> {attribute: value}`, the real classifiers in use), and moves along each attribute still
outside its target band by the step the boundary's slope predicts, damped, until every attribute is in
its band or `max_iterations` renders have been spent. The identity-relevant rest of w+ is left alone.
Where the boundaries are not orthogonal, each step is taken along the normal conditioned on the other
attributes being corrected (directions.conditioned), so fixing the yaw does not undo the pitch.
"""

import dataclasses

import numpy as np

from tf_reconstruct.editing import directions
from tf_reconstruct.errors import InputError


@dataclasses.dataclass(frozen=True)
class Target:
    low: float
    high: float

    def error(self, value):
        """How far `value` lies outside [low, high] (0 inside); positive above."""
        return value - self.high if value > self.high else (value - self.low if value < self.low else 0.0)


# Frontal and neutral as this project's judges read them. The pose model reads -7 to -11 degrees of pitch on
# frontal photos and generated faces alike (experiments/editing), so pitch is given a band around 0 wide
# enough to hold those; neutral is P(happy) below one half (the expression model leans to 'happy').
DEFAULT_TARGETS = {"yaw": Target(-5.0, 5.0), "pitch": Target(-12.0, 5.0), "smile": Target(0.0, 0.5)}
DAMPING = 0.8
MAX_STEP = 3.0   # units of the normal per iteration: larger moves leave the region the boundary was fitted in


def normalize(w_plus, measure, boundaries, targets=None, max_iterations=8, rows=None):
    """Moves w+ [num_ws, D] until `measure` puts every attribute of `targets` ({attribute: Target}) inside its
    band. `boundaries` {attribute: editing.boundaries.Boundary} give the normals and slopes.

    Returns (the best w+ found, history [{attribute: value, 'w_plus_step': ...}] one entry per measurement):
    the best is the one with the smallest total relative error, which is the last when the loop converges.
    """
    targets = DEFAULT_TARGETS if targets is None else targets
    missing = [attribute for attribute in targets if attribute not in boundaries]
    if missing:
        raise InputError(f"normalisation needs boundaries for {', '.join(missing)}")
    current = np.asarray(w_plus, np.float32).copy()
    history, best, best_error = [], current, np.inf
    for iteration in range(max_iterations + 1):
        values = measure(current)
        if not all(np.isfinite(values[attribute]) for attribute in targets):
            # No face found in the render: this move went off the face manifold; keep the best so far.
            history.append({**values, "iteration": iteration, "error": float("inf")})
            break
        errors = {attribute: target.error(values[attribute]) for attribute, target in targets.items()}
        total = sum(abs(error) / max(target.high - target.low, 1e-6) for (attribute, target), error
                    in zip(targets.items(), errors.values()))
        history.append({**values, "iteration": iteration, "error": total})
        if total < best_error:
            best, best_error = current.copy(), total
        off = [attribute for attribute, error in errors.items() if error != 0.0]
        if not off or iteration == max_iterations:
            break
        for attribute in off:
            boundary = boundaries[attribute]
            others = [boundaries[other].normal for other in off if other != attribute]
            normal = directions.conditioned(boundary.normal, others) if others else boundary.normal
            # Along the conditioned normal the score changes by slope * (normal . conditioned normal) per unit.
            slope = boundary.report["slope"] * float(np.dot(boundary.normal, normal))
            if abs(slope) < 1e-9:
                continue
            step = float(np.clip(-DAMPING * errors[attribute] / slope, -MAX_STEP, MAX_STEP))
            current = directions.edit(current, normal, [step], rows)[0]
    return best, history
