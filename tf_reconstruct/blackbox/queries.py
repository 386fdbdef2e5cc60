"""Latents to the pixels an oracle is shown, and their scores: one query per face.

    QueryRenderer(generator, resolution=256)(w_plus [B, num_ws, 512]) -> faces [B, 112, 112, 3] uint8
    score_latents(renderer, oracle, w_plus, target, batch=16) -> (similarities [B], templates [B, D])

The search queries the oracle with the generator's face, rendered at 256 px (the fixed warp reads a 256-px
image at most, so a 1024-px render would only be averaged down) and aligned by the fixed generator warp into
the ArcFace crop, then rounded to uint8: the oracle gets pixels, as any system would, and nothing
differentiable crosses into it.
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
