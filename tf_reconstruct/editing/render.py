"""Rendering latents and reading their attributes, the two things every edit is measured by.

    render(generator, w_plus [N, num_ws, 512], resolution) -> RGB uint8 [N, R, R, 3]
    measure(images, classifiers) -> [{attribute: value}] (NaN where MTCNN finds no face)
    Measurer(generator, classifiers, resolution)(w_plus [num_ws, 512]) -> {attribute: value}
"""

import numpy as np
import tensorflow as tf

from tf_reconstruct.align import photo_align
from tf_reconstruct.attributes import classifiers as attribute_classifiers


def render(generator, w_plus, resolution=None, batch_size=4):
    synthesis = generator.synthesis(resolution)
    images = [photo_align.signed_to_uint8(synthesis(tf.constant(w_plus[start:start + batch_size]),
                                                    training=False).numpy())
              for start in range(0, len(w_plus), batch_size)]
    return np.concatenate(images)


def measure(images, classifiers):
    attributes = [attribute for classifier in classifiers for attribute in classifier.attributes]
    values = []
    for index, image in enumerate(images):
        try:
            values.append(attribute_classifiers.describe(image, classifiers, f"face {index}"))
        except photo_align.NoFaceFoundError:
            values.append({attribute: float("nan") for attribute in attributes})
    return values


class Measurer:
    """A latent's attributes as the classifiers read its face rendered at `resolution` (for the closed loop)."""

    def __init__(self, generator, classifiers, resolution=256):
        self.generator, self.classifiers, self.resolution = generator, classifiers, resolution

    def __call__(self, w_plus):
        return measure(render(self.generator, np.asarray(w_plus)[None], self.resolution), self.classifiers)[0]
