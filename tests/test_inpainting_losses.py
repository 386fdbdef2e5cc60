"""The inpainting losses on hand-computed cases."""

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.inpainting import losses


def test_reconstruction_weights_the_hole():
    output = tf.zeros((1, 1, 2, 1))
    target = tf.constant([[[[1.0], [1.0]]]])
    hole = tf.constant([[[[1.0], [0.0]]]])
    # weights 6 and 1, errors 1 and 1: (6 + 1) / (7 * 1 channel) = 1; with error only outside: 1 / 7.
    assert float(losses.reconstruction(output, target, hole)) == pytest.approx(1.0)
    assert float(losses.reconstruction(output, tf.constant([[[[0.0], [1.0]]]]), hole)) == pytest.approx(1 / 7)


def test_gram_of_a_hand_made_feature_map():
    features = tf.constant([[[[1.0, 2.0]], [[3.0, 4.0]]]])   # h=2, w=1, C=2
    # F^T F = [[1+9, 2+12], [2+12, 4+16]] / (2 * 1 * 2)
    np.testing.assert_allclose(losses.gram(features).numpy()[0], np.array([[10, 14], [14, 20]]) / 4)


def test_style_and_perceptual_are_zero_for_equal_features_and_positive_otherwise():
    features = [tf.random.stateless_normal((2, 4, 4, 3), seed=(1, 2))]
    assert float(losses.perceptual(features, features)) == 0.0 and float(losses.style(features, features)) == 0.0
    other = [features[0] * 2.0]
    assert float(losses.perceptual(features, other)) > 0 and float(losses.style(features, other)) > 0


def test_relativistic_losses_on_hand_computed_logits():
    real, fake = tf.constant([2.0, 0.0]), tf.constant([-1.0, 1.0])   # means 1 and 0
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    # real - E fake = [2, 0]; fake - E real = [-2, 0]
    expected_d = np.mean(softplus(-np.array([2.0, 0.0]))) + np.mean(softplus(np.array([-2.0, 0.0])))
    expected_g = np.mean(softplus(np.array([2.0, 0.0]))) + np.mean(softplus(-np.array([-2.0, 0.0])))
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(expected_d, rel=1e-6)
    assert float(losses.generator_adversarial(real, fake)) == pytest.approx(expected_g, rel=1e-6)
    # A discriminator that separates real from fake has a lower loss than one that does not.
    assert float(losses.discriminator_loss(real, fake)) < float(losses.discriminator_loss(fake, real))
