"""When training stops: the held-out hole L1, validated every few steps, decides (not a fixed budget).

    verdict(history [(step, value), ...], patience, min_delta) -> Verdict(best_step, best_value, stale, stop)

A validation improves on the best so far when it is lower by more than `min_delta`; `stale` counts the
validations since the last improvement, and training stops once it reaches `patience`. The best step's
weights are the ones kept. Pure, so that a resumed run reaches the same verdict from its logged history.
"""

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class Verdict:
    best_step: int
    best_value: float
    stale: int
    stop: bool


def verdict(history, patience, min_delta=0.0):
    """The verdict on a validation history [(step, value)] in step order; an empty history never stops."""
    if patience < 1:
        raise ValueError(f"patience must be at least 1 validation, got {patience}")
    best_step, best_value, stale = 0, math.inf, 0
    for step, value in history:
        if value < best_value - min_delta:
            best_step, best_value, stale = int(step), float(value), 0
        else:
            stale += 1
    return Verdict(best_step, best_value, stale, stale >= patience)
