"""Where an optimisation starts, beyond the paper's mean w+ (its section 1): warm starts from public priors.

    Starts(latents {name: w+ [num_ws, 512]}, how {kind, ...}): warm starts and how they were made (for records)
    LatentBank(templates [N, D], latents [N, 512]).start(targets [B, D], neighbours) -> w [B, 512]
    load_bank(store_dir, extractor_name, num_ws, limit=None) -> LatentBank from the generated pairs (complete)
    mapping_starts(model, targets [B, D]) -> w+ [B, num_ws, 512] from the trained Mapping baseline

A bank of generated faces with the attacker's own templates (baselines/training_pairs.py, the same
20,000 pairs the Mapping learns from) is a public prior the attacker may hold: the faces whose
templates are nearest the target already share its coarse traits (sex, age, build), so their w,
averaged with weights growing with the similarity, is a start on the right part of the face manifold
instead of the average face. Only the attacker's extractor is used: the templates are its own.
"""

import dataclasses

import numpy as np

from tf_reconstruct.metrics import verification

DEFAULT_NEIGHBOURS = 8
# Softmax temperature of the neighbours' weights, in cosine units: a neighbour 0.05 less similar than the
# nearest weighs e^-1 as much. The cosines of the nearest generated templates to a real one lie around 0.5-0.6.
TEMPERATURE = 0.05


@dataclasses.dataclass(frozen=True)
class Starts:
    """Warm starts of named templates, {name: w+ [num_ws, 512]}, and how they were made, as a face's record
    names its start: {"kind": "bank", "neighbours": 8, "bank_size": 20000, ...}, {"kind": "mapping", ...};
    `per_face`, {name: fields}, adds what differs from face to face (a coarse stage's steps)."""
    latents: dict
    how: dict
    per_face: dict = None


@dataclasses.dataclass
class LatentBank:
    """Templates [N, D] of generated faces and their latents w [N, 512] (as rendered, after the restraint), from
    `pairs` pairs of a store (the mixed ones are left out)."""
    templates: np.ndarray
    latents: np.ndarray
    pairs: int = None

    def __post_init__(self):
        if len(self.templates) != len(self.latents) or not len(self.templates):
            raise ValueError(f"a latent bank needs as many templates as latents, and some: got "
                             f"{len(self.templates)} and {len(self.latents)}")
        self._normalised = verification.normalise(np.asarray(self.templates, np.float32))

    def nearest(self, targets, neighbours=DEFAULT_NEIGHBOURS):
        """The `neighbours` most cosine-similar bank entries of each target [B, D]: (indices [B, k], cosines [B, k]),
        most similar first."""
        targets = verification.normalise(np.atleast_2d(np.asarray(targets, np.float32)))
        if targets.shape[1] != self._normalised.shape[1]:
            raise ValueError(f"templates are {targets.shape[1]}-d but the bank holds {self._normalised.shape[1]}-d "
                             f"templates of another extractor")
        neighbours = min(neighbours, len(self._normalised))
        cosines = targets @ self._normalised.T
        indices = np.argsort(-cosines, axis=1, kind="stable")[:, :neighbours]
        return indices, np.take_along_axis(cosines, indices, axis=1)

    def start(self, targets, neighbours=DEFAULT_NEIGHBOURS, temperature=TEMPERATURE):
        """The similarity-weighted mean w [B, 512] of each target's nearest bank entries (softmax weights)."""
        indices, cosines = self.nearest(targets, neighbours)
        weights = np.exp((cosines - cosines[:, :1]) / temperature)
        weights /= weights.sum(axis=1, keepdims=True)
        return np.einsum("bk,bkd->bd", weights, self.latents[indices]).astype(np.float32)


def load_bank(store_dir, extractor_name, num_ws, limit=None):
    """The bank of a pair store's unmixed pairs (crossover = num_ws; a mixed pair's face has no single w), from
    its first `limit` pairs (None: all). Refuses a store whose build was interrupted (fewer shards than it was
    asked for), with the command that finishes it: a bank of 3 of 20 shards would start every face from a
    sparser prior, silently."""
    from tf_reconstruct.baselines import training_pairs
    training_pairs.require_complete(store_dir)
    pairs = training_pairs.load_store(store_dir, ("template", "w", "crossover"), extractor_name, limit=limit)
    unmixed = pairs["crossover"] >= num_ws
    return LatentBank(pairs["template"][unmixed], pairs["w"][unmixed], len(pairs["crossover"]))


def as_w_plus(w, num_ws):
    """w [B, 512] -> w+ [B, num_ws, 512] with w in every row."""
    return np.repeat(np.asarray(w, np.float32)[:, None], num_ws, axis=1)


def mapping_starts(model, targets):
    """The trained Mapping's prediction for each target [B, D], as w+ [B, num_ws, 512] (baselines/template_to_latent)."""
    return np.asarray(model.predict(np.atleast_2d(targets)), np.float32)
