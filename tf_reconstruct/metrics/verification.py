"""Face verification metrics of the paper's section 2, as pure functions of arrays.

Decision rule: a comparison is accepted when its score is strictly greater than the threshold. The
threshold at a target FAR is the lowest impostor score that lets at most floor(FAR x n) of the n
impostor scores through, so the achieved FAR never exceeds the target; at FAR 0 it is the maximum
impostor score (no impostor is accepted). Ties are broken against acceptance: every score equal to
the threshold is rejected, impostor or genuine alike.
"""

import math

import numpy as np
from sklearn.metrics import roc_auc_score

# The paper's operating points, as fractions.
PAPER_FARS = (0.0, 0.001, 0.01, 0.1)


def normalise(vectors):
    """Rows scaled to unit L2 norm, [N, D] -> [N, D]."""
    vectors = np.asarray(vectors, np.float64)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def cosine_rows(first, second):
    """Cosine of matching rows, [N, D], [N, D] -> [N]."""
    return np.sum(normalise(first) * normalise(second), axis=-1)


def cosine_matrix(first, second):
    """All cosines, [N, D], [M, D] -> [N, M]."""
    return normalise(first) @ normalise(second).T


def negative_distance_rows(first, second):
    """Minus the Euclidean distance of matching rows, [N, D], [N, D] -> [N]: dlib's rule as a similarity."""
    return -np.linalg.norm(np.asarray(first, np.float64) - np.asarray(second, np.float64), axis=-1)


def negative_distance_matrix(first, second):
    """Minus all Euclidean distances, [N, D], [M, D] -> [N, M]."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    squared = (np.sum(first ** 2, axis=1)[:, None] + np.sum(second ** 2, axis=1)[None]
               - 2.0 * first @ second.T)
    return -np.sqrt(np.maximum(squared, 0.0))


# How each kind of extractor compares two embeddings: (matching rows, all pairs). Higher is more alike,
# so thresholds, FAR and TAR work the same for both.
SIMILARITIES = {"cosine": (cosine_rows, cosine_matrix),
                "negative_euclidean": (negative_distance_rows, negative_distance_matrix)}


def similarity_functions(name):
    """(rows, matrix) functions of the similarity `name` (a key of SIMILARITIES)."""
    if name not in SIMILARITIES:
        raise ValueError(f"unknown similarity {name!r}; choose one of {sorted(SIMILARITIES)}")
    return SIMILARITIES[name]


def threshold_at_far(impostor_scores, far):
    """The threshold whose achieved FAR is the largest not above `far` (see the module docstring)."""
    scores = np.sort(np.asarray(impostor_scores, np.float64))[::-1]
    if scores.size == 0:
        raise ValueError("no impostor scores: a threshold needs at least one")
    if not 0.0 <= far < 1.0:
        raise ValueError(f"FAR must be in [0, 1), not {far}")
    allowed = int(math.floor(far * scores.size + 1e-9))
    return float(scores[allowed])


def acceptance_rate(scores, threshold):
    """Fraction of scores strictly above the threshold (TAR for genuine scores, FAR for impostor ones)."""
    scores = np.asarray(scores, np.float64)
    if scores.size == 0:
        return float("nan")
    return float(np.mean(scores > threshold))


def mean_acceptance_by_group(scores, groups, threshold):
    """Mean over groups of each group's acceptance rate, scores [M] and their groups [M] -> float.

    Type II per identity: every person counts once however many other photos they have (on LFW one person
    can hold half of a small study's comparisons). NaN when there are no scores.
    """
    scores, groups = np.asarray(scores, np.float64), np.asarray(groups)
    if scores.size != groups.size:
        raise ValueError(f"{scores.size} scores but {groups.size} group labels")
    if scores.size == 0:
        return float("nan")
    return float(np.mean([np.mean(scores[groups == group] > threshold) for group in np.unique(groups)]))


def operating_points(impostor_scores, genuine_scores, fars=PAPER_FARS):
    """[(target FAR, threshold, achieved FAR, normal TAR)] at each target FAR."""
    points = []
    for far in fars:
        threshold = threshold_at_far(impostor_scores, far)
        points.append((far, threshold, acceptance_rate(impostor_scores, threshold),
                       acceptance_rate(genuine_scores, threshold)))
    return points


def auc(impostor_scores, genuine_scores):
    """Area under the ROC of genuine against impostor scores (scikit-learn)."""
    labels = np.r_[np.zeros(len(impostor_scores)), np.ones(len(genuine_scores))]
    return float(roc_auc_score(labels, np.r_[impostor_scores, genuine_scores]))


def cross_label_pairs(labels):
    """Index pairs (i < j) with different labels, the `all` impostor set: labels [N] -> ([P], [P])."""
    labels = np.asarray(labels)
    first, second = np.triu_indices(len(labels), k=1)
    keep = labels[first] != labels[second]
    return first[keep], second[keep]


def same_label_pairs(labels):
    """Index pairs (i < j) with the same label, the `all` genuine set: labels [N] -> ([P], [P])."""
    labels = np.asarray(labels)
    first, second = np.triu_indices(len(labels), k=1)
    keep = labels[first] == labels[second]
    return first[keep], second[keep]


def density_histogram(scores, bin_edges):
    """Probability density of `scores` over `bin_edges` [K + 1] -> [K] (integrates to 1 over the bins)."""
    scores = np.asarray(scores, np.float64)
    counts, _ = np.histogram(scores, bins=bin_edges)
    widths = np.diff(bin_edges)
    total = counts.sum()
    return counts / (total * widths) if total else np.zeros_like(widths, dtype=np.float64)
