"""68 facial landmarks from fr_landmark.onnx, as pure functions (the eye-state model needs them).

The package's `lib/fr_landmark.js` crops the detector box at scale 1.0 with the same shift-inside rule
as SSR-Net (ssr_net.crop_box), resizes to 64x64 grey, feeds pixel / 256, and maps the 136 outputs
(x, y pairs in [0, 1]) back with the box's own width, height and corner. On 60 LFW photos the mean of
points 36-41 (42-47) lies 3-4% of the inter-ocular distance from MTCNN's left (right) eye.

    crop_box(box, width, height) -> [x, y, w, h]
    normalise(grey_uint8 [64, 64]) -> [1, 1, 64, 64] float32
    decode(outputs [136], box) -> [68, 2] (x, y) in the image
"""

import numpy as np

from tf_reconstruct.attributes import ssr_net

INPUT_SIZE = 64
NUM_POINTS = 68


def crop_box(box, width, height):
    """The box itself, shifted inside the image (ssr_net.crop_box at scale 1)."""
    return ssr_net.crop_box(box, width, height, scale=1.0)


def normalise(grey):
    """Grey uint8 [64, 64] -> [1, 1, 64, 64] float32, pixel / 256 as the JavaScript divides."""
    grey = np.asarray(grey, np.float32)
    if grey.shape != (INPUT_SIZE, INPUT_SIZE):
        raise ValueError(f"the landmark model takes a {INPUT_SIZE}x{INPUT_SIZE} grey crop, got {grey.shape}")
    return (grey / 256.0)[None, None]


def decode(outputs, box):
    """The 136 outputs -> [68, 2] image points: x * box width + box x, y * box height + box y (truncated
    to integers as the JavaScript's parseInt does)."""
    x, y, box_w, box_h = (int(value) for value in box)
    points = np.asarray(outputs, np.float64).reshape(NUM_POINTS, 2) * [box_w, box_h] + [x, y]
    return np.trunc(points)
