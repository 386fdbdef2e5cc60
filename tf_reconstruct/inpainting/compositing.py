"""Putting a generated fill into the photo's hole without seams (issue 36).

    composite(generated [H, W, 3] uint8, original [H, W, 3] uint8, hole [H, W], blend) -> [H, W, 3] uint8

Every blend keeps the pixels outside the hole exactly as they were; only the hole changes:
- 'paste': the generated pixels, as they are (box seams and colour steps where light or tone differ);
- 'feather': the generated face's colours matched to the photo's on a ring just outside the hole (per
  channel mean and spread), then faded in over FEATHER_PX inside the hole's edge;
- 'poisson': Poisson blending (Perez et al. 2003, `cv2.seamlessClone`): the generated gradients inside the
  hole, the photo's values on its border, so colour and light follow the surroundings.
"""

import cv2
import numpy as np

BLENDS = ("paste", "feather", "poisson")
FEATHER_PX = 6   # the fade inside the hole's edge
RING_PX = 6      # the ring outside the hole whose colours the fill is matched to
PAD = 16         # seamlessClone refuses a mask that touches the image border; the images are padded first


def _binary(hole):
    return (np.asarray(hole) > 0).astype(np.uint8)


def paste(generated, original, hole):
    hole = _binary(hole)
    out = np.array(original, np.uint8, copy=True)
    out[hole > 0] = np.asarray(generated, np.uint8)[hole > 0]
    return out


def ring(hole, width=RING_PX):
    """[H, W] bool: the pixels within `width` px outside the hole."""
    hole = _binary(hole)
    grown = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1)))
    return (grown > 0) & (hole == 0)


def match_colours(generated, original, where):
    """`generated` with each channel's mean and spread over `where` moved to the original's there ([H, W] bool)."""
    source = np.asarray(generated, np.float64)
    target = np.asarray(original, np.float64)
    out = source.copy()
    if not np.any(where):
        return np.asarray(generated, np.uint8)
    for channel in range(3):
        a, b = source[..., channel][where], target[..., channel][where]
        gain = b.std() / max(a.std(), 1.0)
        out[..., channel] = (source[..., channel] - a.mean()) * gain + b.mean()
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def feather(generated, original, hole, width=FEATHER_PX):
    """Colour-matched to the ring outside the hole, faded in over `width` px inside the hole's edge."""
    hole = _binary(hole)
    matched = match_colours(generated, original, ring(hole)).astype(np.float64)
    inside = cv2.distanceTransform(hole, cv2.DIST_L2, 3)
    alpha = np.clip(inside / float(width), 0.0, 1.0)[..., None]   # 0 outside, rising to 1 `width` px in
    mixed = alpha * matched + (1.0 - alpha) * np.asarray(original, np.float64)
    return paste(np.clip(np.rint(mixed), 0, 255).astype(np.uint8), original, hole)


def poisson(generated, original, hole):
    """cv2.seamlessClone of the hole (grown by 1 px, so its border is known photo) from `generated` into `original`."""
    hole = _binary(hole)
    if not hole.any():
        return np.array(original, np.uint8, copy=True)
    grown = cv2.dilate(hole, np.ones((3, 3), np.uint8))
    pad = [(PAD, PAD), (PAD, PAD)]
    source = np.pad(np.asarray(generated, np.uint8), pad + [(0, 0)], mode="reflect")
    target = np.pad(np.asarray(original, np.uint8), pad + [(0, 0)], mode="reflect")
    mask = np.pad(grown, pad) * 255
    x, y, width, height = cv2.boundingRect(mask)
    # OpenCV places the mask's box at centre - size // 2: this centre puts it back where it was.
    cloned = cv2.seamlessClone(np.ascontiguousarray(source), np.ascontiguousarray(target), mask,
                               (x + width // 2, y + height // 2), cv2.NORMAL_CLONE)
    return paste(cloned[PAD:-PAD, PAD:-PAD], original, hole)


def composite(generated, original, hole, blend="paste"):
    if blend not in BLENDS:
        raise ValueError(f"unknown blend {blend!r}; choose from {', '.join(BLENDS)}")
    return {"paste": paste, "feather": feather, "poisson": poisson}[blend](generated, original, hole)
