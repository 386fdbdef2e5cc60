import numpy as np
import tensorflow as tf

from tf_reconstruct.models.wavelets import haar_forward, haar_inverse


def test_inverse_of_hand_computed_coefficients():
    # One channel, one 2x2 cell: LL=2, LH=1, HL=0, HH=0 -> rows differ by the LH sign.
    coefficients = np.array([2.0, 1.0, 0.0, 0.0], np.float32).reshape(1, 1, 1, 4)
    image = haar_inverse(coefficients).numpy()[0, ..., 0]
    np.testing.assert_allclose(image, [[1.5, 1.5], [0.5, 0.5]])


def test_forward_then_inverse_is_identity():
    images = tf.random.stateless_normal([2, 8, 8, 3], seed=[1, 2])
    np.testing.assert_allclose(haar_inverse(haar_forward(images)).numpy(), images.numpy(), atol=1e-6)


def test_low_band_is_twice_the_cell_mean():
    images = tf.random.stateless_normal([1, 4, 4, 3], seed=[3, 4])
    low = haar_forward(images).numpy()[..., :3]
    mean = tf.nn.avg_pool2d(images, 2, 2, "VALID").numpy()
    np.testing.assert_allclose(low, 2 * mean, atol=1e-6)
