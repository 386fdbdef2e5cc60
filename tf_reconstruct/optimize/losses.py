"""Embedding losses, per sample: embeddings [B, D], targets [B, D] -> [B].

The paper's loss is the MSE of features (its eq. 3) without saying whether the features are normalised.
Both readings are offered; the default is chosen by measurement (see experiments/engine).
"""

import tensorflow as tf


def mse(embeddings, targets):
    """(1/D) sum (v' - V)^2 on the raw features."""
    return tf.reduce_mean(tf.square(embeddings - targets), axis=-1)


def mse_normalized(embeddings, targets):
    """MSE of the L2-normalised features (= 2 (1 - cosine) / D)."""
    return mse(tf.math.l2_normalize(embeddings, axis=-1), tf.math.l2_normalize(targets, axis=-1))


def cosine_distance(embeddings, targets):
    """1 - cosine similarity."""
    return 1.0 - tf.reduce_sum(tf.math.l2_normalize(embeddings, axis=-1) * tf.math.l2_normalize(targets, axis=-1),
                               axis=-1)


LOSSES = {"mse": mse, "mse_normalized": mse_normalized, "cosine": cosine_distance}
