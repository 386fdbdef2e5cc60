"""Least-squares similarity transforms (Umeyama 1991) as pure numpy functions."""

import numpy as np


def estimate_similarity(source, target):
    """The similarity (rotation, uniform scale, translation) that best maps `source` points onto `target`.

    Args:
      source, target: [N, 2] point arrays (x, y), N >= 2, not all coincident.

    Returns:
      [2, 3] matrix M with target ~= M[:, :2] @ source + M[:, 2] (least squares, reflections excluded).
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2 or source.shape[1] != 2 or len(source) < 2:
        raise ValueError(f"need two matching [N>=2, 2] point sets, got {source.shape} and {target.shape}")
    source_mean, target_mean = source.mean(0), target.mean(0)
    source_centred, target_centred = source - source_mean, target - target_mean
    source_variance = (source_centred ** 2).sum() / len(source)
    if source_variance <= 1e-12:
        raise ValueError("source points are all at one place; no similarity transform is defined")
    covariance = target_centred.T @ source_centred / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.diag([1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0])
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(singular) @ sign) / source_variance
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = target_mean - matrix[:, :2] @ source_mean
    return matrix


def apply_affine(matrix, points):
    """[2, 3] matrix applied to [N, 2] points -> [N, 2]."""
    points = np.asarray(points, dtype=np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def invert_affine(matrix):
    """Inverse of a [2, 3] affine matrix."""
    linear_inverse = np.linalg.inv(matrix[:, :2])
    return np.concatenate([linear_inverse, -linear_inverse @ matrix[:, 2:]], axis=1)
