"""Expectation over transformations (beyond the paper): random views of the differentiable generator warp.

Each optimisation step embeds K views of the generated face instead of one: view 0 is the fixed warp
itself, the others shift, scale and rotate the ArcFace crop a little and mirror it half the time. A
latent whose face matches the template in every view matches it through a crop no system computes
exactly, so it cannot rely on a pixel pattern tied to one warp (Athalye et al. 2018).

    view_table(steps, views, strength, seed) -> [steps, views, 5] (angle rad, log scale, dx px, dy px, flip)
    view_parameters(base [8], rows [B, K, 5]) -> [B * K, 8] tfa.image.transform parameters
    warp_views(images [B, R, R, 3], source_points, rows [B, K, 5]) -> [B * K, 112, 112, 3]

The views of a step are a fixed table indexed by each sample's own step, so a sample's path does not
depend on its neighbours, and a resumed run sees the same views. Strength 0 gives the fixed warp in
every view.
"""

import numpy as np
import tensorflow as tf
import tensorflow_addons as tfa

from tf_reconstruct.align.generator_warp import WARP_WORKING_RESOLUTION, inverse_warp_parameters
from tf_reconstruct.align.template import ARCFACE_SIZE

# At strength 1: rotations up to 5 degrees, scale within 5%, shifts up to 4 px of the 112-px crop.
MAX_ANGLE = np.deg2rad(5.0)
MAX_LOG_SCALE = np.log(1.05)
MAX_SHIFT = 4.0
FLIP_PROBABILITY = 0.5


def view_table(steps, views, strength, seed=0):
    """Random view settings for every step: [steps, views, 5]; view 0 is always the fixed warp.

    Columns: rotation angle (radians), log scale, x and y shift (pixels of the crop), flip (0 or 1).
    Magnitudes scale with `strength`; at 0 every view is the fixed warp (no flips either).
    """
    if views < 1:
        raise ValueError(f"views must be at least 1, got {views}")
    rng = np.random.default_rng(seed)
    uniform = rng.uniform(-1.0, 1.0, (steps, views, 4))
    table = np.zeros((steps, views, 5), np.float32)
    table[..., :4] = uniform * np.array([MAX_ANGLE, MAX_LOG_SCALE, MAX_SHIFT, MAX_SHIFT]) * strength
    if strength > 0:
        table[..., 4] = rng.random((steps, views)) < FLIP_PROBABILITY
    table[:, 0] = 0.0
    return table


def _view_matrices(rows, size):
    """[N, 5] view settings -> [N, 3, 3] maps from view pixels to pixels of the plain crop (side `size`)."""
    angle, log_scale, shift_x, shift_y, flip = tf.unstack(tf.cast(rows, tf.float32), axis=-1)
    centre = (size - 1) / 2.0
    inverse_scale = tf.exp(-log_scale)
    cos, sin = tf.cos(angle) * inverse_scale, tf.sin(angle) * inverse_scale
    # View pixel p -> plain crop pixel q = R(-angle) / scale (mirror(p) - centre - shift) + centre.
    mirror = 1.0 - 2.0 * flip
    offset_x = (size - 1.0) * flip - centre - shift_x
    offset_y = -centre - shift_y
    x_from_x, x_from_y, x_offset = cos * mirror, sin, cos * offset_x + sin * offset_y + centre
    y_from_x, y_from_y, y_offset = -sin * mirror, cos, -sin * offset_x + cos * offset_y + centre
    zeros, ones = tf.zeros_like(angle), tf.ones_like(angle)
    return tf.stack([tf.stack([x_from_x, x_from_y, x_offset], -1), tf.stack([y_from_x, y_from_y, y_offset], -1),
                     tf.stack([zeros, zeros, ones], -1)], axis=-2)


def view_parameters(base_parameters, rows, size=ARCFACE_SIZE):
    """Composes the fixed warp (8 tfa parameters, crop pixel -> input pixel) with each view: -> [N, 8]."""
    rows = tf.reshape(tf.convert_to_tensor(rows, tf.float32), [-1, 5])
    base = tf.reshape(tf.concat([tf.constant(base_parameters, tf.float32), [1.0]], 0), [3, 3])
    combined = tf.matmul(tf.broadcast_to(base, [tf.shape(rows)[0], 3, 3]), _view_matrices(rows, size))
    flat = tf.reshape(combined, [-1, 9])
    return flat[:, :8] / flat[:, 8:9]


def warp_views(images, source_points_fraction, rows):
    """Generator output [B, R, R, 3] in [-1, 1] -> its K views per sample [B * K, 112, 112, 3], sample-major.

    rows: [B, K, 5] view settings (a slice of `view_table`). Differentiable in `images`.
    """
    resolution = images.shape[1]
    if resolution > WARP_WORKING_RESOLUTION:
        factor = resolution // WARP_WORKING_RESOLUTION
        images = tf.nn.avg_pool2d(images, factor, factor, "VALID")
        resolution = WARP_WORKING_RESOLUTION
    views = tf.shape(rows)[1]
    repeated = tf.repeat(images, views, axis=0)
    parameters = view_parameters(inverse_warp_parameters(source_points_fraction, resolution), rows)
    return tfa.image.transform(repeated, parameters, interpolation="bilinear", fill_mode="constant",
                               output_shape=[ARCFACE_SIZE, ARCFACE_SIZE])
