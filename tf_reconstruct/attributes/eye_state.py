"""Eyes open or closed from fr_eye.onnx, as pure functions.

The package's `lib/fr_eye.js` cuts a square about each eye from the 68 landmarks (landmarks68.py): the
centre is the mean of the eye's upper and lower lid points (37, 38, 40, 41 and 43, 44, 46, 47), the side
1.6 times the corner-to-corner width (36-39, 42-45), the corner clamped at 0 and the side capped by the
image. Each square goes to 24x24 grey, / 255. Of the two softmax outputs, index 1 is 'open': on 60 LFW
photos it wins for 54, and the 8 eyes scoring lowest on it are half closed or blurred while the 8
highest are wide open (BUILD_NOTES.md, Attribute labels). The JavaScript reports index 0 > index 1 as
'closed'.

    eye_boxes(points [68, 2], width, height) -> ([x, y, s, s] left, [x, y, s, s] right)
    normalise(grey_uint8 [24, 24]) -> [1, 1, 24, 24] float32
"""

import numpy as np

INPUT_SIZE = 24
PADDING = 1.6
OPEN_INDEX = 1
# (lid points for the centre, outer corner, inner corner) per eye, in the 68-point scheme.
EYES = (((37, 38, 40, 41), 39, 36), ((43, 44, 46, 47), 45, 42))


def eye_boxes(points, width, height):
    """The two square eye crops [x, y, side, side] of the JavaScript's getEyeBBox (parseInt truncation)."""
    points = np.asarray(points, np.float64)
    boxes = []
    for lids, far, near in EYES:
        centre_x = int(np.sum(points[list(lids), 0]) / 4)
        centre_y = int(np.sum(points[list(lids), 1]) / 4)
        side = int((points[far, 0] - points[near, 0]) * PADDING)
        left, top = max(int(centre_x - side / 2), 0), max(int(centre_y - side / 2), 0)
        if left + side >= width:
            side = width - left - 1
        if top + side >= height:
            side = height - top - 1
        boxes.append([left, top, side, side])
    return tuple(boxes)


def normalise(grey):
    """Grey uint8 [24, 24] -> [1, 1, 24, 24] float32 in [0, 1]."""
    grey = np.asarray(grey, np.float32)
    if grey.shape != (INPUT_SIZE, INPUT_SIZE):
        raise ValueError(f"the eye model takes a {INPUT_SIZE}x{INPUT_SIZE} grey crop, got {grey.shape}")
    return (grey / 255.0)[None, None]
