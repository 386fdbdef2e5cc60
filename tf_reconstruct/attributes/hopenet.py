"""Head pose from fr_pose.onnx (a Hopenet: yaw, pitch and roll as 66 bins of 3 degrees), as pure functions.

The package's `lib/fr_pose.js` widens the detector box by a quarter of its size on every side, clamps
the corner into the image, resizes to 224x224 and normalises with the ImageNet statistics. Its
`cvtColor(BGR2RGB)` on the canvas' RGBA pixels feeds the channels in BGR order; on 60 LFW photos that
order and RGB agree (mirror consistency of yaw 0.995 against 0.994, correlation with the MTCNN keypoint
yaw proxy -0.954 against -0.953), and BGR is kept as the JavaScript has it. Each angle is the softmax
expectation over the bins, times 3, minus 99 degrees.

    crop_box(box, width, height) -> [x, y, w, h]
    normalise(crop_rgb_uint8 [224, 224, 3]) -> [1, 3, 224, 224] float32
    decode(logits [66]) -> degrees
"""

import numpy as np

INPUT_SIZE = 224
MEAN = np.array([0.485, 0.456, 0.406], np.float32)   # by channel position, as the JavaScript applies them
STD = np.array([0.229, 0.224, 0.225], np.float32)
# The model's outputs in the JavaScript's order: yaw, pitch, roll.
OUTPUTS = {"yaw": "output", "pitch": "617", "roll": "618"}
BINS = 66
BIN_DEGREES = 3.0
OFFSET_DEGREES = 99.0


def crop_box(box, width, height):
    """The JavaScript's crop of a box [x, y, w, h]: a quarter of the box added on each side (parseInt
    truncation), the corner clamped at 0, the size capped at the image's. Returns integer [x, y, w, h]."""
    x, y, box_w, box_h = (int(value) for value in box)
    x1, y1, x2, y2 = int(x - box_w / 4), int(y - box_h / 4), int(x + box_w + box_w / 4), int(y + box_h + box_h / 4)
    left, top = max(x1, 0), max(y1, 0)
    # The JavaScript's roi would throw past the edge; clamping there keeps the face and its context.
    return [left, top, min(x2 - x1, width - left), min(y2 - y1, height - top)]


def normalise(crop):
    """RGB uint8 [224, 224, 3] -> [1, 3, 224, 224] float32: BGR, (pixel / 255 - mean) / std per position."""
    crop = np.asarray(crop, np.float32) / 255.0
    if crop.shape != (INPUT_SIZE, INPUT_SIZE, 3):
        raise ValueError(f"the pose model takes a {INPUT_SIZE}x{INPUT_SIZE} RGB crop, got {crop.shape}")
    crop = crop[..., ::-1]
    return np.ascontiguousarray(np.transpose((crop - MEAN) / STD, (2, 0, 1))[None])


def softmax(logits):
    logits = np.asarray(logits, np.float64).ravel()
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


def decode(logits):
    """One angle in degrees: the softmax expectation over the 66 bins, x 3 - 99 (0 is frontal)."""
    return float(np.sum(softmax(logits) * np.arange(BINS)) * BIN_DEGREES - OFFSET_DEGREES)
