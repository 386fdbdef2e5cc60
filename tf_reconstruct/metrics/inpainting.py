"""Inpainting quality, as pure functions of uint8 images and hole masks.

    psnr(a, b, mask=None) -> dB over all pixels or the masked ones
    l1(a, b, mask=None) -> mean absolute difference in [0, 1] units
    ssim(a, b, mask=None) -> tf.image.ssim over the image, or over the hole's bounding box (at least 11 px)
    frechet_distance(features_a [N, D], features_b [M, D]) -> ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2)
    paired_difference(a [N], b [N]) -> (mean of a - b, its standard error), over the pairs where both are finite
    seam_jump(image, hole) -> mean |difference| in grey levels between 4-neighbour pixels across the hole's border

The Frechet distance is FID's formula; FID proper needs InceptionV3's ImageNet weights, which are not
reachable here, so on other features it must not be called FID (inpainting reports name the features).
"""

import numpy as np

SSIM_WINDOW = 11


def _pixels(a, b, mask):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if mask is None:
        return a.reshape(-1), b.reshape(-1)
    mask = np.asarray(mask) > 0
    if not mask.any():
        raise ValueError("the mask selects no pixel")
    return a[mask].reshape(-1), b[mask].reshape(-1)


def psnr(a, b, mask=None):
    a, b = _pixels(a, b, mask)
    error = np.mean((a - b) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0 ** 2 / error))


def l1(a, b, mask=None):
    a, b = _pixels(a, b, mask)
    return float(np.mean(np.abs(a - b)) / 255.0)


def ssim(a, b, mask=None):
    import tensorflow as tf
    a, b = np.asarray(a), np.asarray(b)
    if mask is not None:
        rows, columns = np.nonzero(np.asarray(mask) > 0)
        if not len(rows):
            raise ValueError("the mask selects no pixel")
        top, bottom = rows.min(), rows.max() + 1
        left, right = columns.min(), columns.max() + 1
        # Widen a thin hole's box to the SSIM window, inside the image.
        height, width = a.shape[:2]
        if bottom - top < SSIM_WINDOW:
            top = max(0, min(top, height - SSIM_WINDOW))
            bottom = top + SSIM_WINDOW
        if right - left < SSIM_WINDOW:
            left = max(0, min(left, width - SSIM_WINDOW))
            right = left + SSIM_WINDOW
        a, b = a[top:bottom, left:right], b[top:bottom, left:right]
    return float(tf.image.ssim(tf.constant(a[None], tf.float32), tf.constant(b[None], tf.float32), max_val=255.0)[0])


def frechet_distance(features_a, features_b):
    from scipy import linalg
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("a Frechet distance needs at least 2 samples on each side")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    root = np.real(root)
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root))


def paired_difference(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same shape, got {a.shape} and {b.shape}")
    difference = (a - b)[np.isfinite(a) & np.isfinite(b)]
    if len(difference) < 2:
        raise ValueError(f"a paired difference needs at least 2 finite pairs, got {len(difference)}")
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(len(difference)))


def seam_jump(image, hole):
    """Mean absolute difference (0-255 units, averaged over channels) between each pair of 4-neighbour pixels
    with one in the hole and one outside it: a fill's seam. Read it against the same measure on the original
    image over the same border, which holds the photo's own edges there."""
    image = np.asarray(image, np.float64)
    hole = np.asarray(hole) > 0
    jumps = []
    for axis in (0, 1):
        first = [slice(None)] * 2
        second = [slice(None)] * 2
        first[axis], second[axis] = slice(None, -1), slice(1, None)
        across = hole[tuple(first)] != hole[tuple(second)]
        difference = np.abs(image[tuple(first)] - image[tuple(second)]).mean(axis=-1)
        jumps.append(difference[across])
    jumps = np.concatenate(jumps)
    if not len(jumps):
        raise ValueError("the hole has no border: it is empty or covers the whole image")
    return float(jumps.mean())
