"""What the optimisation minimises: latent -> w+ -> face -> the attacker's embedding -> loss, per sample.

    latent_to_w_plus(generator, latent, space, truncation) -> w+ [B, num_ws, 512]
    embed_generated(generator, extractor, w_plus, resolution, precision) -> [B, D]
    make_objective(...) -> objective(slots, w_plus) -> (loss followed [B], loss tracked [B], cosine [B] or None)

The paper's objective is the MSE of the aligned face's features to the template (its eq. 3). Beyond it,
and off by default: the mean loss over random views of the face (expectation over transformations,
align/augment.py) is followed while the fixed warp's loss decides stopping, and latent penalties
(regularizers.py) are added to both.
"""

import tensorflow as tf

from tf_reconstruct.align import augment as augmentation
from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.optimize import regularizers


def latent_to_w_plus(generator, latent, space, truncation=1.0):
    """[B, num_ws, 512] w+ from a latent of the given space.

    `truncation` is the paper's restraint lerp(w_avg, w+, weight) = w_avg + (w+ - w_avg) * weight, which keeps
    every row near the mean so images do not distort; 1 leaves w+ as it is.
    """
    if space == "wplus":
        w_plus = latent
    else:
        w = generator.mapping(latent, training=False) if space == "z" else latent
        w_plus = tf.tile(w[:, None, :], [1, generator.num_ws, 1])
    if truncation == 1.0:
        return w_plus
    w_avg = tf.constant(generator.w_avg, tf.float32)
    return w_avg + (w_plus - w_avg) * truncation


def embed_generated(generator, extractor, w_plus, resolution, precision="float32"):
    """Features of the generated, aligned faces: [B, num_ws, 512] -> [B, D] float32."""
    images = generator.synthesis(resolution, precision)(w_plus, training=False)
    faces = warp_to_arcface(images, generator.landmarks)
    return tf.cast(extractor.at_precision(precision).model((faces + 1.0) * 127.5, training=False), tf.float32)


def make_objective(generator, extractor, loss_fn, resolution, precision, space, truncation, views=None,
                   spread_penalty=0.0, anchor_penalty=0.0, steps=2000, cosine=False):
    """The per-sample objective of the optimisation step.

    Args:
      loss_fn: embeddings [B, D], targets [B, D] -> [B] (optimize/losses.py).
      views: None (the fixed warp only: the paper's engine) or a [steps, K, 5] table of augment.view_table;
        each sample sees the views of its own step.
      spread_penalty, anchor_penalty: weights of regularizers.row_spread and regularizers.anchor_distance
        (from the sample's start, slots.anchor); 0 leaves them out of the graph.
      cosine: also return the fixed warp's cosine to the template (the success stop's signal); False leaves
        it out of the graph.

    Returns:
      objective(slots, w_plus) -> (loss whose gradient is followed [B], loss tracked for stopping and the best
      latent [B], the fixed warp's cosine [B] or None); without views both losses are the fixed warp's loss
      (plus the penalties).
    """
    def objective(slots, w_plus):
        if views is None:
            fixed = embed_generated(generator, extractor, w_plus, resolution, precision)
            tracked = loss_fn(fixed, slots.targets)
            followed = tracked
        else:
            count = views.shape[1]
            images = generator.synthesis(resolution, precision)(w_plus, training=False)
            rows = tf.gather(views, tf.minimum(slots.steps_taken, steps - 1))
            faces = augmentation.warp_views(images, generator.landmarks, rows)
            embeddings = tf.cast(extractor.at_precision(precision).model((faces + 1.0) * 127.5, training=False),
                                 tf.float32)
            per_view = tf.reshape(loss_fn(embeddings, tf.repeat(slots.targets, count, axis=0)), [-1, count])
            tracked, followed = per_view[:, 0], tf.reduce_mean(per_view, axis=1)
            fixed = embeddings[::count]     # view 0 of each sample is the fixed warp
        penalty = 0.0
        if spread_penalty:
            penalty += spread_penalty * regularizers.row_spread(w_plus)
        if anchor_penalty:
            anchor = latent_to_w_plus(generator, slots.anchor, space, truncation)
            penalty += anchor_penalty * regularizers.anchor_distance(w_plus, anchor)
        similarity = _cosine(fixed, slots.targets) if cosine else None
        return followed + penalty, tracked + penalty, similarity
    return objective


def _cosine(a, b):
    """[B, D], [B, D] -> [B] cosine similarity."""
    return tf.reduce_sum(tf.math.l2_normalize(a, axis=-1) * tf.math.l2_normalize(b, axis=-1), axis=-1)
