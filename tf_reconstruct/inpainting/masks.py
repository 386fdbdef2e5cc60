"""Seeded hole masks: free-form brush strokes and boxes (the NVIDIA irregular-mask set is not reachable).

    free_form(size, rng) -> uint8 [size, size], 1 in the hole
    boxes(size, rng) -> uint8 [size, size]
    mask_in_bin(size, seed, low, high) -> (mask, hole ratio) with low <= ratio < high
    fixed_hole(size, seed, index) -> (mask, ratio): a test or validation face's hole, fixed by its index
    BINS: the issue's hole-ratio bins, (0, 0.2), (0.2, 0.4), (0.4, 0.6)

The strokes follow DeepFill v2's free-form generator (Yu et al. 2019): a few strokes, each a chain of
4-12 segments at random angles and lengths, drawn as thick lines with round joints. A mask of a given
bin is drawn by adding strokes or boxes to an empty mask until the hole ratio reaches the bin, from a
generator seeded per mask, so the same seed always gives the same mask.
"""

import cv2
import numpy as np

BINS = ((0.0, 0.2), (0.2, 0.4), (0.4, 0.6))


def _stroke(mask, rng):
    size = mask.shape[0]
    vertices = int(rng.integers(4, 13))
    width = int(rng.integers(size // 32 + 1, size // 10 + 2))
    x, y = rng.integers(0, size, 2)
    for _ in range(vertices):
        angle = rng.uniform(0, 2 * np.pi)
        length = rng.uniform(size / 16, size / 4)
        next_x = int(np.clip(x + length * np.cos(angle), 0, size - 1))
        next_y = int(np.clip(y + length * np.sin(angle), 0, size - 1))
        cv2.line(mask, (int(x), int(y)), (next_x, next_y), 1, width)
        cv2.circle(mask, (next_x, next_y), width // 2, 1, -1)
        x, y = next_x, next_y


def _box(mask, rng):
    size = mask.shape[0]
    width, height = (int(value) for value in rng.integers(size // 8, size // 2, 2))
    left, top = int(rng.integers(0, size - width)), int(rng.integers(0, size - height))
    mask[top:top + height, left:left + width] = 1


def free_form(size, rng, strokes=None):
    """A mask of `strokes` (1-4 by default) free-form strokes."""
    mask = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(1, 5)) if strokes is None else strokes):
        _stroke(mask, rng)
    return mask


def boxes(size, rng, count=None):
    """A mask of `count` (1-3 by default) axis-aligned boxes."""
    mask = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(1, 4)) if count is None else count):
        _box(mask, rng)
    return mask


def hole_ratio(mask):
    return float(np.mean(np.asarray(mask) > 0))


def mask_in_bin(size, seed, low, high, kind="free_form", attempts=200):
    """A mask whose hole ratio lies in [low, high), grown shape by shape from a generator seeded by `seed`.

    A shape that would overshoot `high` is undone and another drawn; after `attempts` draws the mask starts
    again (with the same generator, so the result still depends on the seed alone).
    """
    if not 0 <= low < high <= 1:
        raise ValueError(f"a hole-ratio bin needs 0 <= low < high <= 1, got [{low}, {high})")
    add = {"free_form": _stroke, "boxes": _box}
    if kind not in add:
        raise ValueError(f"unknown mask kind {kind!r}; choose free_form or boxes")
    rng = np.random.default_rng(seed)
    while True:
        mask = np.zeros((size, size), np.uint8)
        for _ in range(attempts):
            candidate = mask.copy()
            add[kind](candidate, rng)
            ratio = hole_ratio(candidate)
            if ratio >= high:
                continue
            mask = candidate
            if ratio >= low and (low > 0 or ratio > 0):
                return mask, ratio


def fixed_kind(index):
    """Free-form strokes for even faces, boxes for odd ones."""
    return "free_form" if index % 2 == 0 else "boxes"


def fixed_hole(size, seed, index):
    """Face `index`'s fixed hole: in bin index mod 3, of fixed_kind(index), drawn from seed * 100003 + index."""
    return mask_in_bin(size, seed * 100003 + index, *BINS[index % len(BINS)], kind=fixed_kind(index))
