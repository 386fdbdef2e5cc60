"""The patent's layers on hand-made inputs: region normalisation, fusion, the style matrix, block shapes."""

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.inpainting import patent_layers as layers


def _two_regions(height=4, width=4):
    """Region 0 the left half, region 1 the right half: [1, h, w, 2]."""
    parsing = np.zeros((1, height, width, 2), np.float32)
    parsing[0, :, :width // 2, 0] = 1
    parsing[0, :, width // 2:, 1] = 1
    return parsing


def test_region_norm_changes_only_damaged_regions():
    rng = np.random.default_rng(0)
    features = tf.constant(rng.standard_normal((1, 4, 4, 3)), tf.float32)
    parsing = _two_regions()
    damage = np.zeros_like(parsing)
    damage[0, 1, 3, 1] = 1                      # one hole pixel, in region 1
    gamma = tf.constant(rng.standard_normal((1, 2, 3)), tf.float32)
    beta = tf.constant(rng.standard_normal((1, 2, 3)), tf.float32)
    out = layers.RegionNorm()(features, parsing, damage, gamma, beta).numpy()
    normalised = layers.instance_norm(features).numpy()
    # Region 0 is undamaged: the identity on the normalised features.
    np.testing.assert_allclose(out[0, :, :2], normalised[0, :, :2], atol=1e-6)
    # Region 1 is damaged: the whole region gets its affine.
    np.testing.assert_allclose(out[0, :, 2:], normalised[0, :, 2:] * (1 + gamma.numpy()[0, 1]) + beta.numpy()[0, 1],
                               atol=1e-5)
    # Without any damage, region normalisation is instance normalisation.
    np.testing.assert_allclose(layers.RegionNorm()(features, parsing, np.zeros_like(parsing), gamma, beta).numpy(),
                               normalised, atol=1e-6)


def test_instance_norm_has_zero_mean_unit_variance_per_channel():
    features = tf.constant(np.random.default_rng(1).standard_normal((2, 5, 5, 3)) * 4 + 2, tf.float32)
    out = layers.instance_norm(features).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1, atol=1e-3)


def test_fusion_weights_start_at_one_half_and_mix_local_and_global():
    fusion = layers.AdaptiveFusion(regions=3, channels=5)
    style = tf.constant(np.random.default_rng(2).standard_normal((2, 8, 4)), tf.float32)
    gamma, beta = fusion(style)
    assert gamma.shape == (2, 3, 5) and beta.shape == (2, 3, 5)
    np.testing.assert_allclose(fusion.fusion_weights().numpy(), 0.5)
    # With alpha = 0: gamma_i = 0.5 Linear_i(local_i) + 0.5 Linear'_i(global).
    kernel, bias = fusion.kernel.numpy(), fusion.bias.numpy()
    local, global_style = style.numpy()[1, :, 1], style.numpy()[1, :, 3]
    expected = 0.5 * (local @ kernel[0, 0, 1] + bias[0, 0, 1]) + 0.5 * (global_style @ kernel[0, 1, 1] + bias[0, 1, 1])
    np.testing.assert_allclose(gamma.numpy()[1, 1], expected, atol=1e-5)


def test_style_matrix_is_256_by_regions_plus_one_of_region_means():
    features = np.zeros((1, 4, 4, 256), np.float32)
    features[0, :, :2] = 1.0      # left half 1, right half 3
    features[0, :, 2:] = 3.0
    parsing = np.concatenate([_two_regions(), np.zeros((1, 4, 4, 6), np.float32)], axis=-1)   # 8 regions, 6 empty
    matrix = layers.StyleMatrix()(tf.constant(features), tf.constant(parsing)).numpy()
    assert matrix.shape == (1, 256, 9)
    np.testing.assert_allclose(matrix[0, :, 0], 1.0)
    np.testing.assert_allclose(matrix[0, :, 1], 3.0)
    np.testing.assert_allclose(matrix[0, :, 2:8], 0.0)   # an absent region has no style
    np.testing.assert_allclose(matrix[0, :, 8], 2.0)     # the global style: the mean over the face


def test_blocks_and_the_region_module_keep_their_documented_shapes():
    image = tf.zeros((2, 32, 32, 3))
    down = layers.DownBlock(16)(image)
    assert down.shape == (2, 16, 16, 16)
    assert layers.UpBlock(8)(down).shape == (2, 32, 32, 8)
    parsing = layers.resize_maps(np.tile(_two_regions(32, 32), (2, 1, 1, 1)), (16, 16))
    np.testing.assert_allclose(tf.reduce_sum(parsing, -1).numpy(), 1.0, atol=1e-6)
    module = layers.RegionInpaint(16)
    out = module(down, parsing, parsing, tf.zeros((2, 2, 16)), tf.zeros((2, 2, 16)))
    assert out.shape == (2, 16, 16, 16)
    with pytest.raises(Exception):
        layers.RegionNorm()(down, parsing[:, :8], parsing, tf.zeros((2, 2, 16)), tf.zeros((2, 2, 16)))


def test_generator_and_discriminator_shapes_and_the_ablations(tmp_path):
    from tf_reconstruct.inpainting import patent_network
    size, regions = 64, 9
    rng = np.random.default_rng(3)
    image = tf.constant(rng.uniform(-1, 1, (2, size, size, 3)), tf.float32)
    hole = np.zeros((2, size, size, 1), np.float32)
    hole[:, 20:40, 20:40] = 1
    labels = rng.integers(0, regions, (2, size, size))
    parsing = tf.one_hot(labels, regions)
    generator = patent_network.build_generator(size, regions, width=0.125)
    filled = generator([image * (1 - hole), hole, parsing])
    assert filled.shape == (2, size, size, 3) and float(tf.reduce_max(tf.abs(filled))) <= 1.0
    assert patent_network.build_discriminator(size, width=0.125)(filled).shape == (2, 6, 6, 1)
    for ablation in ({"region_norm": False}, {"global_style_only": True}):
        ablated = patent_network.build_generator(size, regions, width=0.125, **ablation)
        ablated.set_weights(generator.get_weights())
        assert not np.allclose(ablated([image * (1 - hole), hole, parsing]).numpy(), filled.numpy())
    # Saved and loaded, the network computes the same image.
    generator.save_weights(tmp_path / "generator.weights.h5")
    again = patent_network.build_generator(size, regions, width=0.125)
    again.load_weights(tmp_path / "generator.weights.h5")
    np.testing.assert_allclose(again([image * (1 - hole), hole, parsing]).numpy(), filled.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="multiple of 32"):
        patent_network.build_generator(48, regions)
