"""Gradient-free refinement against the oracle: CMA-ES (the `cma` package) in a subspace of w+.

    CmaSettings(queries, directions, groups, sigma, popsize, patience, seed)
    cma_refine(renderer, oracle, target, start [num_ws, 512], directions, scales, settings, prior=None,
               moving=None, fine=None) -> SearchResult

The search minimises minus the oracle's similarity of the rendered face to the target template, over the
coefficients of subspace.to_w_plus; with a `prior` (the joint methods: prior(faces) -> [P], a white-box term
such as the surrogate's cosine to the translated template, times its weight) it minimises minus their sum, so
that the face stays the one the surrogate sees in the template while the oracle's answers refine it.
It asks the oracle only for faces (queries.py); it stops when the oracle's budget cannot pay for another
generation, or after `patience` generations without a better face. The start itself is scored first (one
query), so the result is never worse than the start by the search's own fitness. With `moving` (the rows the
query render reads, queries.rows_seen), the other rows stay at the start's: the face the judges see at full
size then differs from the one the oracle scored only by the layers above the query's resolution.
With a `fine` view (FineView), the search's last queries see another render of the same latents (the 512-px
face, nearer the one the judges see than the 256-px head): the best face so far is scored again there, and the
same CMA-ES goes on from its adapted step, so the face kept is the best the oracle saw in the fine view. A
search that starts in the fine view stands still when its start is the white-box stage's optimum there
(methods.py); one that arrives there from the coarse view has already left it.
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


@dataclasses.dataclass(frozen=True)
class FineView:
    renderer: object   # w+ [B, num_ws, 512] -> faces [B, 112, 112, 3] uint8: the view of the search's last queries
    calls: int         # queries left when the search moves to it (sooner, if the coarse view stalls)


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
    switch: dict = None       # with a fine view: when the search moved to it, and the best face's score in both


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


def _best(fitness, similarity, term, coefficients):
    return {"fitness": float(fitness), "similarity": float(similarity),
            "prior": None if term is None else float(term), "coefficients": coefficients}


def cma_refine(renderer, oracle, target, start, directions, scales, settings=CmaSettings(), prior=None, moving=None,
               fine=None):
    """The best w+ CMA-ES finds in the subspace around `start`, within the oracle's remaining budget."""
    calls_before = oracle.calls
    fitness, similarity, term = _scores(renderer, oracle, np.asarray(start, np.float32)[None], target, prior)
    best = _best(fitness[0], similarity[0], None if term is None else term[0],
                 np.zeros(settings.groups * len(directions)))
    start_similarity = best["similarity"]
    strategy = cma.CMAEvolutionStrategy(best["coefficients"], settings.sigma,
                                        {"popsize": settings.popsize, "seed": settings.seed + 1, "verbose": -9})

    def latents_of(coefficients):
        return subspace.to_w_plus(start, coefficients, directions, scales, settings.groups, moving)
    history, waited, switch = [], 0, None
    while oracle.remaining >= settings.popsize + (fine is not None and switch is None):
        if fine is not None and switch is None and (oracle.remaining <= fine.calls or waited >= settings.patience):
            # The best face so far, scored again in the fine view, is the one to beat from here.
            renderer, waited = fine.renderer, 0
            switch = {"after_calls": oracle.calls - calls_before, "similarity_before": round(best["similarity"], 5)}
            fitness, similarity, term = _scores(renderer, oracle, latents_of(best["coefficients"][None]), target, prior)
            best = _best(fitness[0], similarity[0], None if term is None else term[0], best["coefficients"])
            switch.update(similarity_after=round(best["similarity"], 5),
                          prior_after=None if best["prior"] is None else round(best["prior"], 5))
        elif waited >= settings.patience:
            break
        candidates = np.asarray(strategy.ask())
        fitness, similarities, terms = _scores(renderer, oracle, latents_of(candidates), target, prior)
        strategy.tell(list(candidates), list(-fitness))
        top = int(np.argmax(fitness))
        if fitness[top] > best["fitness"]:
            best, waited = _best(fitness[top], similarities[top], None if terms is None else terms[top],
                                 candidates[top]), 0
        else:
            waited += 1
        history.append(round(best["similarity"], 5))
    return SearchResult(latents_of(best["coefficients"][None])[0], best["similarity"], start_similarity,
                        oracle.calls - calls_before, len(history), history, prior=best["prior"], switch=switch)
