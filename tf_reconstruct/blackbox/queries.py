"""Latents to the pixels an oracle is shown, and their scores: one query per face.

    QueryRenderer(generator, resolution=256)(w_plus [B, num_ws, 512]) -> faces [B, 112, 112, 3] uint8
    score_latents(renderer, oracle, w_plus, target, batch=16) -> (similarities [B], templates [B, D])
    rows_seen(render, w_plus [num_ws, 512]) -> [num_ws] bool: the rows of w+ a render reads

The search queries the oracle with the generator's face, rendered at 256 px (or 512: the method's
query_resolution) and aligned by the fixed generator warp into the ArcFace crop, then rounded to uint8: the
oracle gets pixels, as any system would, and nothing differentiable crosses into it. The warp reads a 256-px
image at most, so a larger render is averaged down first; that is not the same face as MobileStyleGAN's own
256-px output, an intermediate head (methods.py has what that costs). The 256-px render does not read the
rows of w+ that style the 512- and 1024-px layers, yet those rows change the full-size face the judges see
(its colours, at any scale): a search must not move what its oracle cannot see (rows_seen).
"""

import numpy as np
import tensorflow as tf

from tf_reconstruct.align.generator_warp import warp_to_arcface

QUERY_RESOLUTION = 256


class QueryRenderer:
    """w+ [B, num_ws, 512] -> ArcFace-aligned uint8 faces [B, 112, 112, 3] (no gradient leaves this)."""

    def __init__(self, generator, resolution=QUERY_RESOLUTION):
        self.generator = generator
        self.resolution = min(resolution, generator.resolution)
        synthesis = generator.synthesis(self.resolution)
        landmarks = generator.landmarks

        @tf.function(reduce_retracing=True)
        def faces(w_plus):
            images = synthesis(w_plus, training=False)
            aligned = warp_to_arcface(images, landmarks)
            return tf.cast(tf.clip_by_value(tf.round((aligned + 1.0) * 127.5), 0.0, 255.0), tf.uint8)
        self._faces = faces

    def __call__(self, w_plus):
        return self._faces(tf.constant(np.asarray(w_plus, np.float32))).numpy()


def score_latents(renderer, oracle, w_plus, target, batch=16):
    """The oracle's similarity of each latent's face to the target [D], and the templates, in batches."""
    similarities, templates = [], []
    for start in range(0, len(w_plus), batch):
        found = oracle(renderer(w_plus[start:start + batch]))
        templates.append(found)
        similarities.append(oracle.similarities(found, target))
    return np.concatenate(similarities), np.concatenate(templates)


def rows_seen(render, w_plus, step=1.0, seed=0):
    """Which rows of w+ [num_ws, 512] change `render`'s output (render: [B, num_ws, 512] -> images [B, ...]):
    each row is pushed alone by `step` along a seeded random direction, all in one batch."""
    w_plus = np.asarray(w_plus, np.float32)
    num_ws = len(w_plus)
    pushed = np.repeat(w_plus[None], num_ws + 1, axis=0)
    directions = np.random.default_rng(seed).standard_normal((num_ws, w_plus.shape[1])).astype(np.float32)
    pushed[np.arange(1, num_ws + 1), np.arange(num_ws)] += step * directions
    images = np.asarray(render(pushed), np.float32)
    return np.abs(images[1:] - images[0]).reshape(num_ws, -1).max(axis=1) > 0
