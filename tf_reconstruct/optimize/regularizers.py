"""Penalties that keep a w+ latent on the face manifold (beyond the paper), per sample: -> [B].

The paper's only restraint is lerp(w_avg, w+, weight). Its SGD still lets the rows of w+ drift apart,
each towards whatever the template's pixels need, which is how a face turns into a texture or a made-up
person. These pull the rows towards their own mean (back towards W, where every row is one w) and,
after a warm start, towards that start.

    row_spread(w_plus [B, N, 512]) -> [B]: mean squared distance of the rows from their mean row
    anchor_distance(w_plus [B, N, 512], anchor [B, N, 512]) -> [B]: mean squared distance from the anchor
"""

import tensorflow as tf


def row_spread(w_plus):
    """Zero exactly when every row is the same w (a latent of W, such as the mean w+)."""
    return tf.reduce_mean(tf.square(w_plus - tf.reduce_mean(w_plus, axis=1, keepdims=True)), axis=[1, 2])


def anchor_distance(w_plus, anchor):
    """Zero at the anchor (the sample's start)."""
    return tf.reduce_mean(tf.square(w_plus - anchor), axis=[1, 2])
