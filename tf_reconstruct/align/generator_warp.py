"""A fixed, differentiable warp from the generator's FFHQ frame to the ArcFace 112x112 template.

The five source points (fractions of the image side) are estimated once per generator by running
MTCNN on many generated faces and averaging (checkpoints/convert.py, `generator_landmarks`), so the
same crop a photo gets from MTCNN is taken from every generated image without a detector in the loop.
"""

import numpy as np
import tensorflow as tf
import tensorflow_addons as tfa

from tf_reconstruct.align.similarity import estimate_similarity
from tf_reconstruct.align.template import ARCFACE_SIZE, ARCFACE_TEMPLATE

# Generator images are box-filtered to this size before the warp, so bilinear sampling of the
# ~2x-reduced face does not alias.
WARP_WORKING_RESOLUTION = 256


def inverse_warp_parameters(source_points_fraction, resolution, margin=0):
    """The 8 tfa.image.transform parameters mapping (112 + 2 margin)^2 output pixels to input pixels.

    Args:
      source_points_fraction: [5, 2] landmark positions as fractions of the image side.
      resolution: side of the image the warp reads, in pixels.
      margin: pixels added on every side of the ArcFace crop (its centre 112x112 stays the ArcFace face).
    """
    source = np.asarray(source_points_fraction, dtype=np.float64) * resolution - 0.5
    # Output -> input: the similarity from the template onto the source points.
    matrix = estimate_similarity(ARCFACE_TEMPLATE + margin, source)
    return np.array([*matrix[0], *matrix[1], 0.0, 0.0], dtype=np.float32)


def warp_to_arcface(images, source_points_fraction, margin=0):
    """Aligns generator output, [B, R, R, 3] in [-1, 1] -> [B, S, S, 3] in [-1, 1], differentiably.

    S = 112 + 2 `margin`; with a margin the ArcFace face is the centre 112x112 of a wider crop (NbNet's frame).
    """
    resolution = images.shape[1]
    if resolution > WARP_WORKING_RESOLUTION:
        factor = resolution // WARP_WORKING_RESOLUTION
        images = tf.nn.avg_pool2d(images, factor, factor, "VALID")
        resolution = WARP_WORKING_RESOLUTION
    parameters = inverse_warp_parameters(source_points_fraction, resolution, margin)
    batch = tf.shape(images)[0]
    transforms = tf.tile(tf.constant(parameters)[None], [batch, 1])
    return tfa.image.transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                               output_shape=[ARCFACE_SIZE + 2 * margin] * 2)
