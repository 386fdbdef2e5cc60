"""Facial expression from fr_expression.onnx (7 classes), as pure functions.

The package's `lib/fr_expression.js` crops from the detector box's top-left corner a region 1.2 times
the box's width and height (not centred: kept as the JavaScript has it), resizes to 224x224 and feeds
RGB / 255 with no mean. The class order is FER2013's: on 60 LFW photos, the six photos scoring highest
for class 3 all smile broadly and those for class 6 are all neutral, and class 0's shout
(BUILD_NOTES.md, Attribute labels). The model leans to 'happy' on press photos (mean P 0.87 on those
60), so editing works with the probabilities as scores, not with the argmax.

    crop_box(box, width, height) -> [x, y, w, h]
    normalise(crop_rgb_uint8 [224, 224, 3]) -> [1, 3, 224, 224] float32
    probabilities(logits [7]) -> {class: probability}
"""

import numpy as np

from tf_reconstruct.attributes.hopenet import softmax

INPUT_SIZE = 224
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
BOX_SCALE = 1.2


def crop_box(box, width, height):
    """[x, y, 1.2 w, 1.2 h] from the box's corner (parseInt truncation), clamped inside the image."""
    x, y, box_w, box_h = (int(value) for value in box)
    left, top = max(x, 0), max(y, 0)
    crop_w = min(int(box_w * BOX_SCALE), width - 1, width - left)
    crop_h = min(int(box_h * BOX_SCALE), height - 1, height - top)
    return [left, top, crop_w, crop_h]


def normalise(crop):
    """RGB uint8 [224, 224, 3] -> [1, 3, 224, 224] float32 RGB in [0, 1]."""
    crop = np.asarray(crop, np.float32) / 255.0
    if crop.shape != (INPUT_SIZE, INPUT_SIZE, 3):
        raise ValueError(f"the expression model takes a {INPUT_SIZE}x{INPUT_SIZE} RGB crop, got {crop.shape}")
    return np.ascontiguousarray(np.transpose(crop, (2, 0, 1))[None])


def probabilities(logits):
    """{class name: softmax probability} of the 7 logits."""
    return dict(zip(CLASSES, (float(p) for p in softmax(logits))))
