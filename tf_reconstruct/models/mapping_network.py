"""The StyleGAN2 mapping network z -> w, shared by every generator here.

Weights are stored as *effective* (runtime) values: the equalised-learning-rate scales of the
original (1/sqrt(fan_in) * lr_multiplier on the kernel, lr_multiplier on the bias) are already
applied. Converters from raw checkpoints apply them (see converters/stylegan2_weights.py).
"""

import math

import tensorflow as tf

keras = tf.keras


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class PixelNorm(keras.layers.Layer):
    """Normalises each vector by its RMS, [B, D] -> [B, D]."""

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        return inputs * tf.math.rsqrt(tf.reduce_mean(tf.square(inputs), axis=-1, keepdims=True) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class ScaledLeakyReLU(keras.layers.Layer):
    """StyleGAN2's `fused_lrelu`: leaky ReLU (slope 0.2) times gain sqrt(2), shape-preserving."""

    def __init__(self, negative_slope=0.2, gain=math.sqrt(2.0), **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = negative_slope
        self.gain = gain

    def call(self, inputs):
        return tf.nn.leaky_relu(inputs, alpha=self.negative_slope) * self.gain

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope, "gain": self.gain}


def build_mapping_network(z_dim=512, w_dim=512, num_layers=8, name="mapping"):
    """Builds the mapping network, [B, z_dim] -> [B, w_dim].

    Layer names are stable (`mapping_dense_{i}`) so converters map weights one-to-one.
    """
    z = keras.Input(shape=(z_dim,), name="z")
    x = PixelNorm(name="mapping_pixel_norm")(z)
    for index in range(num_layers):
        x = keras.layers.Dense(w_dim, name=f"mapping_dense_{index}")(x)
        x = ScaledLeakyReLU(name=f"mapping_act_{index}")(x)
    return keras.Model(z, x, name=name)
