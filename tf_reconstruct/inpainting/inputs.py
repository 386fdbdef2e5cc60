"""Reading an image and its hole mask, refusing what cannot be filled with a message naming the fix.

    read_pair(image_path, mask_path) -> (RGB uint8 [H, W, 3], hole uint8 [H, W] with 1 in the hole)
"""

import pathlib

import cv2
import numpy as np

from tf_reconstruct.errors import TfReconstructError


class InpaintInputError(TfReconstructError, ValueError):
    """An image or mask that cannot be inpainted."""


def check_hole(hole, name="mask"):
    """A hole mask must hold some hole and some known pixels."""
    ratio = float(np.mean(hole > 0))
    if ratio == 0:
        raise InpaintInputError(f"{name} marks no pixel as missing: paint the hole white (> 127) on black")
    if ratio == 1:
        raise InpaintInputError(f"{name} marks every pixel as missing: nothing is left to fill from; paint only the "
                                f"hole white")
    return ratio


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
    hole = (mask > 127).astype(np.uint8)
    check_hole(hole, f"--mask={mask_path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), hole
