"""The standard ArcFace 112x112 five-point template.

Order: left eye, right eye, nose, left mouth corner, right mouth corner ("left" = image-left).
Coordinates are (x, y) pixel centres of the 112x112 crop.
"""

import numpy as np

ARCFACE_SIZE = 112
ARCFACE_TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                             [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)
KEYPOINT_ORDER = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
