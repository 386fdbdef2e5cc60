"""Rendering latents and reading their attributes, the two things every edit is measured by.

    render(generator, w_plus [N, num_ws, 512], resolution) -> RGB uint8 [N, R, R, 3]
    measure(images, classifiers) -> [{attribute: value}] (NaN where MTCNN finds no face)
    embed(images, extractors) -> {name: [N, D]} of the MTCNN-aligned images (NaN rows where none is found)
    Measurer(generator, classifiers, resolution)(w_plus [num_ws, 512]) -> {attribute: value}
"""

import numpy as np
import tensorflow as tf

from tf_reconstruct.align import photo_align
from tf_reconstruct.attributes import classifiers as attribute_classifiers


def render(generator, w_plus, resolution=None, batch_size=4):
    """RGB uint8 faces of w+ [N, num_ws, 512], `batch_size` at a time."""
    synthesis = generator.synthesis(resolution)
    images = [photo_align.signed_to_uint8(synthesis(tf.constant(w_plus[start:start + batch_size]),
                                                    training=False).numpy())
              for start in range(0, len(w_plus), batch_size)]
    return np.concatenate(images)


def measure(images, classifiers):
    """Every classifier's attributes of each image, from one MTCNN detection; NaN where none is found."""
    attributes = [attribute for classifier in classifiers for attribute in classifier.attributes]
    values = []
    for index, image in enumerate(images):
        try:
            values.append(attribute_classifiers.describe(image, classifiers, f"face {index}"))
        except photo_align.NoFaceFoundError:
            values.append({attribute: float("nan") for attribute in attributes})
    return values


def embed(images, extractors):
    """{name: [N, D] float32} of each extractor on the MTCNN-aligned images (aligned once for all of them), a
    NaN row where no face is found, as a system would see each image."""
    aligned = []
    for index, image in enumerate(images):
        try:
            aligned.append(photo_align.align_photo(image, f"face {index}"))
        except photo_align.NoFaceFoundError:
            aligned.append(None)
    found = [index for index, face in enumerate(aligned) if face is not None]
    embeddings = {}
    for name, extractor in extractors.items():
        rows = np.full((len(aligned), extractor.embedding_dim), np.nan, np.float32)
        if found:
            rows[found] = extractor(np.stack([aligned[index] for index in found])).numpy()
        embeddings[name] = rows
    return embeddings


class Measurer:
    """A latent's attributes as the classifiers read its face rendered at `resolution` (for the closed loop)."""

    def __init__(self, generator, classifiers, resolution=256):
        self.generator, self.classifiers, self.resolution = generator, classifiers, resolution

    def __call__(self, w_plus):
        return measure(render(self.generator, np.asarray(w_plus)[None], self.resolution), self.classifiers)[0]
