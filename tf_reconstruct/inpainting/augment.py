"""Colour, light and mirror augmentation of training faces, drawn per face from a seeded generator.

    draw(rng) -> Jitter: one face's white balance, brightness, contrast, saturation, gamma, light and flip
    apply(image [S, S, 3] float in [-1, 1], labels [S, S], jitter) -> (image, labels)
    mirror_labels(labels) -> the parsing of the mirrored face (image-left and image-right regions swapped)
    IDENTITY: the jitter that changes nothing

Why: the network trained on clean generated faces painted in their colours (a pink face inside an orange
one, issue 36). Real photos vary in white balance, exposure and side light, so the fill must take its
colours from the known pixels around the hole, not from what faces usually look like. The ranges are
those of common photo jitter (torchvision's ColorJitter at about 0.2-0.3) plus a linear light ramp, a
simple model of a light from one side.
"""

import dataclasses

import numpy as np

from tf_reconstruct.inpainting import parsing


@dataclasses.dataclass(frozen=True)
class Jitter:
    gains: tuple = (1.0, 1.0, 1.0)   # per-channel multipliers: white balance
    brightness: float = 0.0           # added, in [-1, 1] units
    contrast: float = 1.0             # scales the distance from the face's mean grey
    saturation: float = 1.0           # 0: grey, 1: unchanged
    gamma: float = 1.0                # on [0, 1] intensities
    light: float = 0.0                # strength of the side light's ramp: brightness x (1 + light * ramp)
    light_angle: float = 0.0          # radians; 0 lights the image's right side
    flip: bool = False


IDENTITY = Jitter()
_SWAPS = (("left_brow", "right_brow"), ("left_eye", "right_eye"))


def draw(rng):
    """A random Jitter: gains 0.85-1.15, brightness +-0.15, contrast and saturation 0.7-1.3, gamma 0.7-1.4
    (log-uniform), a side light of strength 0-0.4 at any angle, a mirror half the time."""
    return Jitter(gains=tuple(float(g) for g in rng.uniform(0.85, 1.15, 3)),
                  brightness=float(rng.uniform(-0.15, 0.15)), contrast=float(rng.uniform(0.7, 1.3)),
                  saturation=float(rng.uniform(0.7, 1.3)), gamma=float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))),
                  light=float(rng.uniform(0.0, 0.4)), light_angle=float(rng.uniform(0, 2 * np.pi)),
                  flip=bool(rng.random() < 0.5))


def mirror_labels(labels):
    """Labels [S, S] of the mirrored image: columns reversed and each image-left region swapped with its
    image-right twin (the parser names eyes and brows by image side)."""
    mirrored = np.asarray(labels)[:, ::-1].copy()
    swapped = mirrored.copy()
    for left, right in _SWAPS:
        swapped[mirrored == parsing.INDEX[left]] = parsing.INDEX[right]
        swapped[mirrored == parsing.INDEX[right]] = parsing.INDEX[left]
    return swapped


def side_light(size, angle):
    """[S, S] ramp from -1 to 1 across the image along `angle` (0: left -1, right +1)."""
    axis = np.linspace(-1.0, 1.0, size)
    x, y = np.meshgrid(axis, axis)
    return (np.cos(angle) * x + np.sin(angle) * y) / max(abs(np.cos(angle)) + abs(np.sin(angle)), 1e-9)


def apply(image, labels, jitter):
    """(image [S, S, 3] float32 in [-1, 1], labels [S, S]) with `jitter` applied: colour, then light, then
    the mirror. The result is clipped to [-1, 1]."""
    image = np.asarray(image, np.float32)
    if jitter == IDENTITY:
        return image, np.asarray(labels)
    unit = (image + 1.0) / 2.0
    unit = unit * np.asarray(jitter.gains, np.float32)
    grey = unit.mean(axis=-1, keepdims=True)
    unit = grey + jitter.saturation * (unit - grey)
    unit = unit.mean() + jitter.contrast * (unit - unit.mean())
    unit = np.clip(unit, 0.0, 1.0) ** jitter.gamma
    unit = unit * (1.0 + jitter.light * side_light(image.shape[0], jitter.light_angle))[..., None]
    result = np.clip(unit * 2.0 - 1.0 + jitter.brightness, -1.0, 1.0).astype(np.float32)
    if jitter.flip:
        return result[:, ::-1].copy(), mirror_labels(labels)
    return result, np.asarray(labels)
