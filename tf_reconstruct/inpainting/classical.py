"""OpenCV's classical fills, the baselines every learnt method is measured against.

    fill(image [H, W, 3] uint8 RGB, hole [H, W] (1 in the hole), method, radius) -> [H, W, 3] uint8

'telea' is Telea's fast marching method (2004), 'ns' the Navier-Stokes based method of Bertalmio et al.
(2001), both as `cv2.inpaint` ships them.
"""

import cv2
import numpy as np

METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
DEFAULT_RADIUS = 5


def fill(image, hole, method="telea", radius=DEFAULT_RADIUS):
    if method not in METHODS:
        raise ValueError(f"unknown classical method {method!r}; choose {' or '.join(METHODS)}")
    image = np.asarray(image, np.uint8)
    mask = (np.asarray(hole) > 0).astype(np.uint8)
    return cv2.inpaint(np.ascontiguousarray(image), mask, radius, METHODS[method])
