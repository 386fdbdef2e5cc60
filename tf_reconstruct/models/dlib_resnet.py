"""dlib's ResNet-29 face descriptor (128-d) as a third, non-ArcFace evaluating extractor.

    DlibExtractor(faces [B, 112, 112, 3] uint8, ArcFace-aligned) -> [B, 128] float32

It runs in dlib's own C++ runtime (PyPI `dlib-bin`), so it is not differentiable and only evaluates.
dlib compares descriptors by Euclidean distance (same person below 0.6), so its similarity is minus
that distance. dlib cuts its own 150x150 chip from 5 landmarks of its shape predictor; here the
predictor runs on the evaluation's 112x112 ArcFace crop, reflect-padded so that the chip's margin
(padding 0.25) stays inside the image. On LFW pairs.txt this gives AUC 0.9986 and 98.3% accuracy at
0.6; resizing the crop to 150 px without the landmarks gave AUC 0.934 (599 of the pairs).
"""

import cv2
import numpy as np
import tensorflow as tf

from tf_reconstruct.errors import TfReconstructError

CHIP_SIZE = 150
CHIP_PADDING = 0.25
# Reflect padding around the 112-px crop, and the face box handed to the shape predictor inside it.
BORDER = 56
FACE_BOX = (8, 8, 104, 104)
DISTANCE_THRESHOLD = 0.6  # dlib's own decision rule: same person when the distance is below it

INSTALL_HINT = ("dlib is not installed; it is the runtime of the dlib_resnet128 evaluator. Install it with "
                "`pip install dlib-bin==20.0.1.post1` (a prebuilt wheel), or leave dlib_resnet128 out of "
                "--eval_models.")


def _import_dlib():
    try:
        import dlib
    except ImportError as error:
        raise TfReconstructError(INSTALL_HINT) from error
    return dlib


def _uint8_faces(faces, value_range):
    faces = np.asarray(faces.numpy() if hasattr(faces, "numpy") else faces)
    if value_range == "signed":
        faces = (faces.astype(np.float32) + 1.0) * 127.5
    elif value_range != "uint8":
        raise ValueError(f"value_range must be 'uint8' or 'signed', not {value_range!r}")
    if faces.ndim != 4 or faces.shape[1:] != (112, 112, 3):
        raise ValueError(f"dlib_resnet128 takes ArcFace-aligned faces [B, 112, 112, 3], not {faces.shape}")
    return np.clip(np.rint(faces), 0, 255).astype(np.uint8)


class DlibExtractor:
    """dlib's face descriptor behind the evaluators' interface (models/registry.Extractor)."""

    name = "dlib_resnet128"
    embedding_dim = 128
    description = "dlib ResNet-29 128-d (face_recognition_models 0.3.0), Euclidean distance"
    similarity = "negative_euclidean"
    differentiable = False

    def __init__(self, recognition_file, landmarks_file):
        dlib = _import_dlib()
        self._dlib = dlib
        self._network = dlib.face_recognition_model_v1(str(recognition_file))
        self._landmarks = dlib.shape_predictor(str(landmarks_file))

    def at_precision(self, precision):
        raise TfReconstructError(f"{self.name} runs in dlib's C++ runtime and has no gradients: it can evaluate "
                                 f"but not attack; choose a MobileFaceNet or ArcFace --attack_model")

    def _canvas_and_shape(self, face):
        canvas = np.ascontiguousarray(cv2.copyMakeBorder(face, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_REFLECT))
        left, top, right, bottom = (BORDER + c for c in FACE_BOX)
        return canvas, self._landmarks(canvas, self._dlib.rectangle(left, top, right, bottom))

    def landmarks(self, face):
        """dlib's 5 points [5, 2] (x, y) on one ArcFace crop [112, 112, 3], in the crop's pixels."""
        _, shape = self._canvas_and_shape(_uint8_faces(face[None], "uint8")[0])
        return np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float64) - BORDER

    def chips(self, faces, value_range="uint8"):
        """ArcFace crops [B, 112, 112, 3] -> dlib chips [B, 150, 150, 3] uint8 RGB, cut by dlib's landmarks."""
        chips = []
        for face in _uint8_faces(faces, value_range):
            canvas, shape = self._canvas_and_shape(face)
            chips.append(np.asarray(self._dlib.get_face_chip(canvas, shape, size=CHIP_SIZE, padding=CHIP_PADDING)))
        return np.stack(chips) if chips else np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8)

    def __call__(self, faces, value_range="uint8"):
        """[B, 112, 112, 3] ArcFace-aligned faces -> [B, 128] float32 descriptors."""
        chips = self.chips(faces, value_range)
        if not len(chips):
            return tf.zeros((0, self.embedding_dim), tf.float32)
        descriptors = self._network.compute_face_descriptor([np.ascontiguousarray(chip) for chip in chips])
        return tf.constant(np.array([np.asarray(d) for d in descriptors], np.float32))


def load(recognition_file, landmarks_file):
    return DlibExtractor(recognition_file, landmarks_file)
