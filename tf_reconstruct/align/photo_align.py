"""Aligning real photos: MTCNN five points, then a similarity warp to the ArcFace 112x112 template."""

import cv2
import numpy as np

from tf_reconstruct.align.similarity import estimate_similarity
from tf_reconstruct.align.template import ARCFACE_SIZE, ARCFACE_TEMPLATE, KEYPOINT_ORDER
from tf_reconstruct.errors import TfReconstructError


class NoFaceFoundError(TfReconstructError, ValueError):
    """No face was detected in an image that had to be aligned."""


_DETECTOR = None


def _detector():
    global _DETECTOR  # one MTCNN per process: building it loads three networks
    if _DETECTOR is None:
        from mtcnn import MTCNN
        _DETECTOR = MTCNN()
    return _DETECTOR


def signed_to_uint8(image):
    """Generator output in [-1, 1] (it may overshoot) -> uint8 [0, 255]."""
    return np.clip(np.round((np.asarray(image, dtype=np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def as_rgb_uint8(image, name="image"):
    """Checks and converts an image to [H, W, 3] uint8 RGB (greyscale is repeated; RGBA drops alpha).

    Float input is taken as [0, 255]; convert [-1, 1] images with signed_to_uint8 first.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"{name}: expected an [H, W, 3] RGB image, got shape {image.shape}")
    image = image[..., :3]
    if image.dtype != np.uint8:
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return image


def detect_landmarks(image, name="image", min_confidence=0.9):
    """The five landmarks [5, 2] (x, y) of the subject's face in an RGB image (see detect_subject)."""
    subject = detect_subject(image, name, min_confidence)
    return np.array([subject["keypoints"][key] for key in KEYPOINT_ORDER], dtype=np.float64)


def detect_subject(image, name="image", min_confidence=0.9):
    """The subject's MTCNN detection: {'box': [x, y, width, height], 'keypoints': {...}, 'confidence'}.

    The subject is the face nearest the image centre among those with confidence >= `min_confidence`:
    face datasets centre their subject, and the most confident face is often a bystander (it was for
    2 of the first 40 LFW pairs). Raises NoFaceFoundError naming `name` when there is none.
    """
    image = as_rgb_uint8(image, name)
    if min(image.shape[:2]) < 24:
        raise NoFaceFoundError(f"{name}: image is {image.shape[1]}x{image.shape[0]} px, too small to hold a "
                               f"detectable face (MTCNN needs at least 24 px)")
    faces = [face for face in _detector().detect_faces(image) if face["confidence"] >= min_confidence]
    if not faces:
        raise NoFaceFoundError(f"{name}: no face found (MTCNN confidence >= {min_confidence}); the image is "
                               f"skipped. Check that it shows a face larger than about 40 px.")
    centre = np.array(image.shape[1::-1], dtype=np.float64) / 2

    def distance_to_centre(face):
        x, y, width, height = face["box"]
        return np.hypot(x + width / 2 - centre[0], y + height / 2 - centre[1])
    return min(faces, key=distance_to_centre)


def has_face(image, min_confidence=0.9):
    """Whether MTCNN finds a face at `min_confidence` in an RGB image (the check a system makes first)."""
    try:
        detect_subject(image, "image", min_confidence)
    except NoFaceFoundError:
        return False
    return True


def align_to_template(image, landmarks, size=ARCFACE_SIZE):
    """Warps an RGB image so that its five `landmarks` land on the ArcFace template: -> [112, 112, 3] uint8."""
    matrix = estimate_similarity(landmarks, ARCFACE_TEMPLATE * (size / ARCFACE_SIZE))
    return cv2.warpAffine(as_rgb_uint8(image), matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def align_photo(image, name="image"):
    """Detects and aligns one photo: RGB [H, W, 3] -> aligned face [112, 112, 3] uint8."""
    image = as_rgb_uint8(image, name)
    return align_to_template(image, detect_landmarks(image, name))
