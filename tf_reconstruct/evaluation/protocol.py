"""Score sets of the paper's evaluation, from embeddings of one evaluating extractor.

Real photos give the system's own scores: genuine (same identity) and impostor (different identities),
either from the dataset protocol (`pairs`: LFW pairs.txt) or from every pair among the selected photos
(`all`). Reconstructions give the attack's scores: type I against the source photo the template came
from, type II against every other photo of the same identity.
"""

import dataclasses

import numpy as np

from tf_reconstruct.errors import InputError
from tf_reconstruct.metrics import verification

IMPOSTOR_MODES = ("all", "pairs")


@dataclasses.dataclass
class Scores:
    impostor: np.ndarray
    genuine: np.ndarray
    type_one: np.ndarray      # [identities] (NaN where a reconstruction could not be scored)
    type_two: np.ndarray      # [pairs] over all identities
    impostor_mode: str


def system_scores(embeddings, selection, impostor_mode, protocol_pairs=None, similarity="cosine"):
    """(impostor [P], genuine [G]) similarity scores of real photos.

    Args:
      embeddings: {image id: [D]} of every photo with a detected face.
      selection: {identity: [image ids]} of the selected photos (source first).
      impostor_mode: 'all' (every pair among the selected photos) or 'pairs' (the dataset protocol).
      protocol_pairs: [(first id, second id, same)], for 'pairs'; pairs with an undetected face are dropped.
      similarity: how the evaluator compares embeddings (verification.SIMILARITIES).
    """
    rows, matrix_of = verification.similarity_functions(similarity)
    if impostor_mode == "pairs":
        if not protocol_pairs:
            raise InputError("impostor mode 'pairs' needs the dataset's protocol pairs (LFW pairs.txt); use 'all'")
        usable = [(a, b, same) for a, b, same in protocol_pairs if a in embeddings and b in embeddings]
        first = np.stack([embeddings[a] for a, _, _ in usable])
        second = np.stack([embeddings[b] for _, b, _ in usable])
        scores = rows(first, second)
        same = np.array([flag for _, _, flag in usable])
        return scores[~same], scores[same]
    if impostor_mode != "all":
        raise InputError(f"impostor mode must be one of {IMPOSTOR_MODES}, not {impostor_mode!r}")
    ids = [image for images in selection.values() for image in images if image in embeddings]
    labels = np.array([identity for identity, images in selection.items() for image in images if image in embeddings])
    stacked = np.stack([embeddings[i] for i in ids])
    matrix = matrix_of(stacked, stacked)
    impostor = matrix[verification.cross_label_pairs(labels)]
    genuine = matrix[verification.same_label_pairs(labels)]
    return impostor, genuine


def attack_scores(reconstructions, embeddings, selection, similarity="cosine"):
    """(type I [identities], type II [pairs], type II identity of each pair).

    Args:
      reconstructions: {identity: [D] embedding of its reconstruction, or None when no face was found in it}.
      embeddings: {image id: [D]} of the real photos.
      selection: {identity: [source id, other ids...]}.
      similarity: how the evaluator compares embeddings (verification.SIMILARITIES).
    A reconstruction without a detected face scores -inf: a system that finds no face accepts nothing.
    """
    rows, matrix_of = verification.similarity_functions(similarity)
    type_one, type_two, owners = [], [], []
    for identity, images in selection.items():
        source, others = images[0], [image for image in images[1:] if image in embeddings]
        vector = reconstructions.get(identity)
        if vector is None:
            type_one.append(-np.inf)
            type_two.extend([-np.inf] * len(others))
        else:
            type_one.append(float(rows(vector[None], embeddings[source][None])[0]))
            if others:
                type_two.extend(matrix_of(vector[None], np.stack([embeddings[i] for i in others]))[0])
        owners.extend([identity] * len(others))
    return np.array(type_one), np.array(type_two, dtype=np.float64), owners


def table_rows(impostor, genuine, type_one, type_two, fars=verification.PAPER_FARS):
    """The paper's table: one row per FAR with threshold, achieved FAR and the TARs (in %)."""
    rows = []
    for far, threshold, achieved, normal in verification.operating_points(impostor, genuine, fars):
        rows.append({"FAR %": 100 * far, "threshold": threshold, "achieved FAR %": 100 * achieved,
                     "normal TAR %": 100 * normal,
                     "type I TAR %": 100 * verification.acceptance_rate(type_one, threshold),
                     "type II TAR %": 100 * verification.acceptance_rate(type_two, threshold)})
    return rows


def rows_at_thresholds(operating_points, type_one, type_two):
    """The paper's table at thresholds fixed elsewhere (a deployed system's operating points).

    Args:
      operating_points: [{"FAR %", "threshold", "achieved FAR %", "normal TAR %"}], e.g. read from another run's
        table; the FARs and normal TARs are that run's, only the attack's TARs are computed here.
    """
    return [{"FAR %": point["FAR %"], "threshold": point["threshold"], "achieved FAR %": point["achieved FAR %"],
             "normal TAR %": point["normal TAR %"],
             "type I TAR %": 100 * verification.acceptance_rate(type_one, point["threshold"]),
             "type II TAR %": 100 * verification.acceptance_rate(type_two, point["threshold"])}
            for point in operating_points]
