"""The generator's statistics, early exits, gradients and the generator-to-ArcFace warp."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import cosine
from tf_reconstruct.align import generator_warp, photo_align
from tf_reconstruct.models import mobile_stylegan, registry

pytestmark = pytest.mark.models


def _w_plus(generator, count, seed):
    z = np.random.default_rng(seed).standard_normal((count, 512)).astype(np.float32)
    return np.repeat(generator.mapping(z).numpy()[:, None], generator.num_ws, axis=1)


def test_w_avg_is_the_mean_of_the_mapping(generator):
    assert generator.w_avg.shape == (512,)
    z = np.random.default_rng(5).standard_normal((2000, 512)).astype(np.float32)
    mean = generator.mapping(z).numpy().mean(0)
    assert cosine(mean, generator.w_avg) > 0.99
    assert generator.mean_w_plus(2).shape == (2, generator.num_ws, 512)


def test_early_exit_resolutions_and_range(generator):
    w_plus = generator.mean_w_plus(1)
    for resolution in (64, 256, 512):
        image = generator.synthesis(resolution)(w_plus).numpy()
        assert image.shape == (1, resolution, resolution, 3)
        assert -1.5 < image.mean() < 1.5 and image.std() > 0.1


def test_embedding_loss_sends_finite_nonzero_gradients_to_w_plus(generator, extractor192):
    w_plus = tf.Variable(generator.mean_w_plus(2))
    target = tf.math.l2_normalize(tf.random.stateless_normal([2, 192], seed=[1, 1]), axis=-1)
    synthesis = generator.synthesis(256)
    with tf.GradientTape() as tape:
        faces = generator_warp.warp_to_arcface(synthesis(w_plus), generator.landmarks)
        embeddings = tf.math.l2_normalize(extractor192(faces, "signed"), axis=-1)
        loss = tf.reduce_mean(tf.square(embeddings - target))
    gradient = tape.gradient(loss, w_plus).numpy()
    assert np.isfinite(gradient).all()
    live = mobile_stylegan.live_style_rows(256)
    dead = sorted(set(range(generator.num_ws)) - set(live))
    assert (np.abs(gradient[:, live]).sum(-1) > 0).all()
    assert np.abs(gradient[:, dead]).sum() == 0


def test_live_rows_of_the_original_indexing():
    assert mobile_stylegan.live_style_rows(1024) == [0, 1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 21]
    assert mobile_stylegan.live_style_rows(16) == [0, 1, 2]


def test_fixed_warp_agrees_with_mtcnn_alignment(generator, extractor192):
    w_plus = _w_plus(generator, 6, 7)
    synthesis = generator.synthesis(1024)
    images = np.concatenate([synthesis(w_plus[i:i + 1]).numpy() for i in range(len(w_plus))])
    warped = extractor192(generator_warp.warp_to_arcface(images, generator.landmarks), "signed").numpy()
    detected = np.stack([photo_align.align_photo(photo_align.signed_to_uint8(image)) for image in images])
    similarity = cosine(warped, extractor192(detected).numpy())
    print(f"fixed warp vs MTCNN alignment, embedding cosine: mean {similarity.mean():.4f}, "
          f"min {similarity.min():.4f}")
    assert similarity.mean() >= 0.95


def test_synthesis_first_built_inside_tf_function_has_its_weights(generator):
    """Regression: a model built lazily inside a trace used to run with its initial weights."""
    resolution = 128
    generator._synthesis_cache.pop(resolution, None)
    w_plus = generator.mean_w_plus(1)
    traced = tf.function(lambda w: generator.synthesis(resolution)(w))(tf.constant(w_plus)).numpy()
    np.testing.assert_allclose(traced, generator.synthesis(resolution)(w_plus).numpy(), atol=1e-5)
    generator._synthesis_cache.pop(resolution, None)
    fresh = registry.get_generator("mobilestylegan").synthesis(resolution)(w_plus).numpy()
    np.testing.assert_allclose(traced, fresh, atol=1e-5)
