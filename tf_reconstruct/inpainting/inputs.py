"""Reading an image, its hole mask and a guiding template, refusing what cannot be filled with one line
naming the input and the fix (the inpaint command exits with status 2 on each, before anything is written).

    read_pair(image_path, mask_path) -> (RGB uint8 [H, W, 3], hole uint8 [H, W] with 1 in the hole)
    face_landmarks(image, hole, name) -> [5, 2] the subject's landmarks, found with the hole pre-filled
    read_template(path, extractor) -> ([D] the attacker's template, where it came from: 'database' or 'photo')
"""

import pathlib

import cv2
import numpy as np

from tf_reconstruct.align import photo_align
from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.inpainting import classical

GREY = (16, 240)          # mask values strictly between these are neither black nor white
MAX_GREY_FRACTION = 0.01  # an anti-aliased brush edge passes; a soft or greyscale map does not
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class InpaintInputError(TfReconstructError, ValueError):
    """An image, mask or template that cannot be inpainted with."""


def check_hole(hole, name="mask"):
    """A hole mask must hold some hole and some known pixels."""
    ratio = float(np.mean(hole > 0))
    if ratio == 0:
        raise InpaintInputError(f"{name} marks no pixel as missing: paint the hole white (> 127) on black")
    if ratio == 1:
        raise InpaintInputError(f"{name} marks every pixel as missing: nothing is left to fill from; paint only the "
                                f"hole white")
    return ratio


def binary_hole(mask, name="mask"):
    """uint8 [H, W] with 1 in the hole, from a black-and-white mask (0/255, or 0/1); refuses a grey one."""
    mask = np.asarray(mask)
    if mask.max() <= 1:
        return (mask > 0).astype(np.uint8)
    grey = float(np.mean((mask > GREY[0]) & (mask < GREY[1])))
    if grey > MAX_GREY_FRACTION:
        raise InpaintInputError(f"{name} is not binary: {100 * grey:.1f}% of its pixels are grey (between {GREY[0]} "
                                f"and {GREY[1]}); give a black-and-white mask, white where pixels are missing "
                                f"(e.g. threshold it at 127)")
    return (mask > 127).astype(np.uint8)


def read_pair(image_path, mask_path):
    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if image is None:
        raise InpaintInputError(f"--image={image_path} is not a readable image: give a JPEG or PNG of a face")
    mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise InpaintInputError(f"--mask={mask_path} is not a readable image: give a PNG, white where pixels are "
                                f"missing")
    if mask.shape != image.shape[:2]:
        raise InpaintInputError(f"--mask={pathlib.Path(mask_path).name} is {mask.shape[1]}x{mask.shape[0]} but "
                                f"--image={pathlib.Path(image_path).name} is {image.shape[1]}x{image.shape[0]}: give a "
                                f"mask of the image's size")
    hole = binary_hole(mask, f"--mask={mask_path}")
    check_hole(hole, f"--mask={mask_path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), hole


def face_landmarks(image, hole, name="--image"):
    """The subject's five landmarks, found by MTCNN on the image with its hole pre-filled by Telea (a hole
    over an eye would otherwise hide the face); raises photo_align.NoFaceFoundError naming `name`."""
    return photo_align.detect_landmarks(classical.fill(image, hole), name)


def read_template(path, extractor):
    """The attacker's template to guide a fill: a `.npy` of one [D] or [1, D] template (from a database), or a
    photo of the same person (embedded here by `extractor` after MTCNN alignment). Returns (template [D],
    'database' or 'photo')."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise InpaintInputError(f"--template={path} does not exist: give a .npy template or another photo of the "
                                f"person")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if photo is None:
            raise InpaintInputError(f"--template={path} is not a readable image: give a JPEG or PNG of the person")
        face = photo_align.align_photo(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB), f"--template={path}")
        return extractor(face[None]).numpy()[0], "photo"
    try:
        template = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise InpaintInputError(f"--template={path} is not a readable .npy array ({error}); give one template of "
                                f"--extractor={extractor.name}, or a photo") from error
    template = np.asarray(template)
    if template.size != extractor.embedding_dim or template.ndim > 2 or not np.issubdtype(template.dtype, np.number):
        raise InpaintInputError(f"--template={path} has shape {template.shape} but --extractor={extractor.name} makes "
                                f"{extractor.embedding_dim}-d templates: give one template that extractor made, or "
                                f"name the extractor that made it (--extractor)")
    template = template.reshape(-1).astype(np.float32)
    if not np.all(np.isfinite(template)) or not np.any(template):
        raise InpaintInputError(f"--template={path} holds NaN, Inf or only zeros: re-extract it")
    return template, "database"
