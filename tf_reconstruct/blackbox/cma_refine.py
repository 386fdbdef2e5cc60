"""Gradient-free refinement against the oracle: CMA-ES (the `cma` package) in a subspace of w+.

    CmaSettings(queries, directions, groups, sigma, popsize, patience, seed)
    cma_refine(renderer, oracle, target, start [num_ws, 512], directions, scales, settings) -> SearchResult

The search minimises minus the oracle's similarity of the rendered face to the target template, over the
coefficients of subspace.to_w_plus. It asks the oracle only for faces (queries.py); it stops when the
oracle's budget cannot pay for another generation, or after `patience` generations without a better face.
The start itself is scored first (one query), so the result is never worse than the start by the oracle.
"""

import dataclasses

import cma
import numpy as np

from tf_reconstruct.blackbox import subspace
from tf_reconstruct.blackbox.queries import score_latents


@dataclasses.dataclass(frozen=True)
class CmaSettings:
    queries: int = 1000     # oracle calls for one face, its start's score included
    directions: int = 32    # the subspace's directions (PCA of the bank's w, or the neighbours' span)
    groups: int = 2         # row groups moving apart (1: a search in W; 2: coarse and fine rows of W+)
    sigma: float = 0.5      # CMA-ES's first step, in standard deviations of the bank along each direction
    popsize: int = 16       # faces per generation: one batch of renders and queries
    patience: int = 25      # generations without a better face before it stops
    seed: int = 0


@dataclasses.dataclass
class SearchResult:
    w_plus: np.ndarray      # the best face's latent [num_ws, 512] (None for a pixel search)
    similarity: float       # the oracle's similarity of the best face to the target
    start_similarity: float
    calls: int              # oracle calls this search made
    generations: int
    history: list           # the best similarity after each generation
    face: np.ndarray = None   # the best face's query pixels [112, 112, 3] uint8


def cma_refine(renderer, oracle, target, start, directions, scales, settings=CmaSettings()):
    """The best w+ CMA-ES finds in the subspace around `start`, within the oracle's remaining budget."""
    calls_before = oracle.calls
    start_similarity = float(score_latents(renderer, oracle, np.asarray(start, np.float32)[None], target)[0][0])
    best_similarity, best_coefficients = start_similarity, np.zeros(settings.groups * len(directions))
    strategy = cma.CMAEvolutionStrategy(best_coefficients, settings.sigma,
                                        {"popsize": settings.popsize, "seed": settings.seed + 1, "verbose": -9})
    history, waited = [], 0
    while oracle.remaining >= settings.popsize and waited < settings.patience:
        candidates = np.asarray(strategy.ask())
        latents = subspace.to_w_plus(start, candidates, directions, scales, settings.groups)
        similarities, _ = score_latents(renderer, oracle, latents, target, batch=settings.popsize)
        strategy.tell(list(candidates), list(-similarities))
        top = int(np.argmax(similarities))
        if similarities[top] > best_similarity:
            best_similarity, best_coefficients, waited = float(similarities[top]), candidates[top], 0
        else:
            waited += 1
        history.append(round(best_similarity, 5))
    best = subspace.to_w_plus(start, best_coefficients[None], directions, scales, settings.groups)[0]
    return SearchResult(best, best_similarity, start_similarity, oracle.calls - calls_before, len(history), history)
