"""Gradient-free refinement against the oracle: CMA-ES (the `cma` package) in a subspace of w+.

    CmaSettings(queries, directions, groups, sigma, popsize, patience, seed)
    cma_refine(renderer, oracle, target, start [num_ws, 512], directions, scales, settings, prior=None,
               moving=None) -> SearchResult

The search minimises minus the oracle's similarity of the rendered face to the target template, over the
coefficients of subspace.to_w_plus; with a `prior` (the joint methods: prior(faces) -> [P], a white-box term
such as the surrogate's cosine to the translated template, times its weight) it minimises minus their sum, so
that the face stays the one the surrogate sees in the template while the oracle's answers refine it.
It asks the oracle only for faces (queries.py); it stops when the oracle's budget cannot pay for another
generation, or after `patience` generations without a better face. The start itself is scored first (one
query), so the result is never worse than the start by the search's own fitness. With `moving` (the rows the
query render reads, queries.rows_seen), the other rows stay at the start's: the face the judges see at full
size then differs from the one the oracle scored only by the layers above the query's resolution.
"""

import dataclasses

import cma
import numpy as np

from tf_reconstruct.blackbox import subspace


@dataclasses.dataclass(frozen=True)
class CmaSettings:
    queries: int = 1000     # oracle calls for one face, its start's score included
    directions: int = 32    # the subspace's directions (PCA of the bank's w, or the neighbours' span)
    groups: int = 2         # row groups moving apart (1: a search in W; 2: coarse and fine rows of W+)
    sigma: float = 0.5      # CMA-ES's first step, in standard deviations of the bank along each direction
    popsize: int = 16       # faces per generation: one batch of renders and queries
    patience: int = 25      # generations without a better face before it stops
    seed: int = 0
    surrogate_weight: float = 1.0   # the joint methods' weight of the surrogate's cosine beside the oracle's answer
    freeze_unseen_rows: bool = True   # rows of w+ the query render does not read stay at the start's


@dataclasses.dataclass
class SearchResult:
    w_plus: np.ndarray      # the best face's latent [num_ws, 512] (None for a pixel search)
    similarity: float       # the oracle's similarity of the best face to the target
    start_similarity: float
    calls: int              # oracle calls this search made
    generations: int
    history: list           # the best similarity after each generation
    face: np.ndarray = None   # the best face's query pixels [112, 112, 3] uint8
    prior: float = None       # the joint search's white-box term of the best face (None: the oracle alone)


def joint_term(cosines, weight, floor=None):
    """The joint search's white-box term of faces [P] from their surrogate cosines [P] to the translated template:
    weight * cosine; with a floor, weight * min(cosine - floor, 0), a penalty only below the floor."""
    cosines = np.asarray(cosines, np.float64)
    return weight * (cosines if floor is None else np.minimum(cosines - floor, 0.0))


def _scores(renderer, oracle, latents, target, prior):
    """(fitness [P] to maximise, the oracle's similarities [P], the prior's terms [P] or None) of latents."""
    faces = renderer(latents)
    similarities = oracle.similarities(oracle(faces), target)
    terms = None if prior is None else np.asarray(prior(faces), np.float64)
    return similarities + (0.0 if terms is None else terms), similarities, terms


def cma_refine(renderer, oracle, target, start, directions, scales, settings=CmaSettings(), prior=None, moving=None):
    """The best w+ CMA-ES finds in the subspace around `start`, within the oracle's remaining budget."""
    calls_before = oracle.calls
    fitness, similarity, term = _scores(renderer, oracle, np.asarray(start, np.float32)[None], target, prior)
    best = {"fitness": float(fitness[0]), "similarity": float(similarity[0]),
            "prior": None if term is None else float(term[0]),
            "coefficients": np.zeros(settings.groups * len(directions))}
    start_similarity = best["similarity"]
    strategy = cma.CMAEvolutionStrategy(best["coefficients"], settings.sigma,
                                        {"popsize": settings.popsize, "seed": settings.seed + 1, "verbose": -9})
    history, waited = [], 0
    while oracle.remaining >= settings.popsize and waited < settings.patience:
        candidates = np.asarray(strategy.ask())
        latents = subspace.to_w_plus(start, candidates, directions, scales, settings.groups, moving)
        fitness, similarities, terms = _scores(renderer, oracle, latents, target, prior)
        strategy.tell(list(candidates), list(-fitness))
        top = int(np.argmax(fitness))
        if fitness[top] > best["fitness"]:
            best = {"fitness": float(fitness[top]), "similarity": float(similarities[top]),
                    "prior": None if terms is None else float(terms[top]), "coefficients": candidates[top]}
            waited = 0
        else:
            waited += 1
        history.append(round(best["similarity"], 5))
    w_plus = subspace.to_w_plus(start, best["coefficients"][None], directions, scales, settings.groups, moving)[0]
    return SearchResult(w_plus, best["similarity"], start_similarity, oracle.calls - calls_before, len(history),
                        history, prior=best["prior"])
