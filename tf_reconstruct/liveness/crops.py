"""The detectors' input crops, as pure functions of an RGB image and a face box [x, y, width, height].

    antispoof_input(image, box) -> [1, 256, 256, 3] float32 in [0, 1], RGB      (FaceAntiSpoofing.tflite)
    faceplugin_input(image, box) -> [1, 3, 128, 128] float32 in [0, 255], BGR   (fr_liveness.onnx)
"""

import cv2
import numpy as np

ANTISPOOF_SIZE = 256
FACEPLUGIN_SIZE = 128
FACEPLUGIN_BOX_SCALE = 2.7


def clamp_box(box, width, height):
    """[x0, y0, x1, y1] integer pixel bounds of `box` ([x, y, w, h], floats) inside a width x height image."""
    x, y, w, h = (float(value) for value in box)
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(width, int(round(x + w))), min(height, int(round(y + h)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise ValueError(f"face box {box} lies outside the {width}x{height} image")
    return x0, y0, x1, y1


def scale_box(box, factor):
    """The box scaled by `factor` about its centre: [x, y, w, h] -> [x, y, w, h]."""
    x, y, w, h = (float(value) for value in box)
    centre_x, centre_y = x + w / 2, y + h / 2
    return [centre_x - w * factor / 2, centre_y - h * factor / 2, w * factor, h * factor]


def _crop_resized(image, box, size):
    x0, y0, x1, y1 = clamp_box(box, image.shape[1], image.shape[0])
    return cv2.resize(image[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_LINEAR)


def antispoof_input(image, box):
    """The face box itself, resized to 256x256, RGB, pixel / 255 (as the Android app that ships it)."""
    return (_crop_resized(image, box, ANTISPOOF_SIZE).astype(np.float32) / 255.0)[None]


def faceplugin_input(image, box):
    """The box scaled x2.7 about its centre, clamped to the image, resized to 128x128, raw 0-255, BGR, NCHW.

    BGR, not the RGB MODELS.md suggests: on 40 real LFW photos BGR input gives the live class to 39 with
    mean probability 0.94, RGB to 18 with 0.48 (BUILD_NOTES.md, Liveness).
    """
    crop = _crop_resized(image, scale_box(box, FACEPLUGIN_BOX_SCALE), FACEPLUGIN_SIZE).astype(np.float32)
    return np.ascontiguousarray(np.transpose(crop[..., ::-1], (2, 0, 1))[None])
