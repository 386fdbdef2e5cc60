"""StyleGAN2 synthesis network (Karras et al. 2020), config-f by default, as Keras layers.

    w_plus [B, num_ws, w_dim] -> image [B, R, R, 3] in about [-1, 1]; num_ws = 2 log2(R) - 2 (18 at 1024)

Layers: a learned 4x4 constant; `conv1` (w[0]) and `to_rgb1` (w[1]); then per resolution 8..R a
block b with `convs_{2b}` (upsampling, w[2b+1]), `convs_{2b+1}` (w[2b+2]) and `to_rgbs_{b}` (w[2b+3]),
whose RGB is added to the 2x-upsampled RGB of the block before (skip architecture).

Weights are stored as effective values (equalised-learning-rate scales applied; official `mod_bias`
already +1; noise maps already times `noise_strength`). The upsampling conv's kernel uses the
conv-transpose orientation of rosinality/stylegan2-pytorch (the official TF kernel flipped); the
converters in converters/stylegan2_weights.py take care of it.
Upsampling is upfirdn2d with the [1, 3, 3, 1] filter: after the transposed conv a blur padded (1, 1);
for the RGB skip, zero insertion then the filter padded (2, 1), both with gain 4.
"""

import math

import numpy as np
import tensorflow as tf

from tf_reconstruct.models.mobile_stylegan import ConstantInput, Modulated, StyleRow

keras = tf.keras

RESAMPLE_FILTER = (1.0, 3.0, 3.0, 1.0)


def config_f_channels(resolution, channel_multiplier=2):
    """{resolution: channels} of config-f (channel_multiplier 2)."""
    table = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier, 128: 128 * channel_multiplier,
             256: 64 * channel_multiplier, 512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    return {r: c for r, c in table.items() if r <= resolution}


def num_ws_for(resolution):
    return int(round(math.log2(resolution))) * 2 - 2


def _blur_kernel(channels, gain):
    """The normalised 4x4 [1,3,3,1] outer product times `gain`, as a depthwise kernel [4, 4, C, 1]."""
    taps = np.array(RESAMPLE_FILTER)
    kernel = np.outer(taps, taps)
    kernel = kernel / kernel.sum() * gain
    return np.tile(kernel[:, :, None, None], [1, 1, channels, 1]).astype(np.float32)


def upfirdn2d(images, channels, up, pad_before, pad_after, gain):
    """Zero-insertion upsampling by `up`, padding, then the [1,3,3,1] FIR filter: [B, H, W, C] -> [B, H', W', C]."""
    if up > 1:
        shape = tf.shape(images)
        images = images[:, :, None, :, None, :]
        images = tf.pad(images, [[0, 0], [0, 0], [0, up - 1], [0, 0], [0, up - 1], [0, 0]])
        images = tf.reshape(images, [shape[0], shape[1] * up, shape[2] * up, channels])
    images = tf.pad(images, [[0, 0], [pad_before, pad_after], [pad_before, pad_after], [0, 0]])
    # The filter is symmetric, so correlation equals the convolution upfirdn2d defines.
    kernel = tf.constant(_blur_kernel(channels, gain), dtype=images.dtype)
    return tf.nn.depthwise_conv2d(images, kernel, [1, 1, 1, 1], "VALID")


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class StyledConv(Modulated):
    """Modulated conv with per-sample demodulation, optional 2x upsampling, noise, bias and lrelu*sqrt(2).

    [B, H, W, Cin], w [B, w_dim] -> [B, H or 2H, W or 2W, Cout]. As `to_rgb` (demodulate=False,
    activation=False, no noise) it is StyleGAN2's ToRGB before the skip sum.
    """

    def __init__(self, channels_in, channels_out, kernel_size, resolution, w_dim=512, upsample=False,
                 demodulate=True, activation=True, noise=True, **kwargs):
        super().__init__(channels_in, style_dim=w_dim, **kwargs)
        self.channels_out, self.kernel_size = channels_out, kernel_size
        self.resolution, self.w_dim, self.upsample = resolution, w_dim, upsample
        self.demodulate, self.activation, self.use_noise = demodulate, activation, noise

    def build(self, input_shape):
        super().build(input_shape)
        k = self.kernel_size
        self.kernel = self.add_weight(name="kernel", shape=(k, k, self.channels_in, self.channels_out),
                                      initializer=keras.initializers.RandomNormal(
                                          stddev=1 / math.sqrt(self.channels_in * k * k)))
        self.bias = self.add_weight(name="bias", shape=(self.channels_out,), initializer="zeros")
        if self.use_noise:
            self.noise = self.add_weight(name="noise", shape=(1, self.resolution, self.resolution, 1),
                                         initializer="zeros")

    def call(self, inputs):
        features, w = inputs
        dtype = self.compute_dtype
        kernel = tf.cast(self.kernel, dtype)
        styles = self.styles(w)
        features = features * styles[:, None, None, :]
        if self.upsample:
            shape = tf.shape(features)
            size = 2 * shape[1] + self.kernel_size - 2
            features = tf.nn.conv2d_transpose(
                features, tf.transpose(kernel, [0, 1, 3, 2]),
                tf.stack([shape[0], size, size, self.channels_out]), strides=2, padding="VALID")
        else:
            features = tf.nn.conv2d(features, kernel, 1, "SAME")
        if self.demodulate:
            # rsqrt(sum over (kh, kw, Cin) of (kernel * style)^2): [B, Cout]
            energy = tf.einsum("io,bi->bo", tf.reduce_sum(tf.square(kernel), axis=[0, 1]), tf.square(styles))
            features = features * tf.math.rsqrt(energy + 1e-8)[:, None, None, :]
        if self.upsample:
            features = upfirdn2d(features, self.channels_out, 1, 1, 1, gain=4.0)
        if self.use_noise:
            features = features + tf.cast(self.noise, dtype)
        features = features + tf.cast(self.bias, dtype)
        if self.activation:
            features = tf.nn.leaky_relu(features, 0.2) * math.sqrt(2.0)
        return features

    def get_config(self):
        config = {key: value for key, value in super().get_config().items() if key != "style_dim"}
        return {**config, "channels_out": self.channels_out, "kernel_size": self.kernel_size,
                "resolution": self.resolution, "w_dim": self.w_dim, "upsample": self.upsample,
                "demodulate": self.demodulate, "activation": self.activation, "noise": self.use_noise}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class UpsampleRgb(keras.layers.Layer):
    """The skip path's 2x FIR upsampling, [B, R, R, 3] -> [B, 2R, 2R, 3]."""

    def call(self, rgb):
        return upfirdn2d(rgb, 3, 2, 2, 1, gain=4.0)


def build_stylegan2_synthesis(resolution=1024, channels=None, w_dim=512, name=None):
    """Builds the StyleGAN2 synthesis network: w_plus [B, num_ws, w_dim] -> image [B, R, R, 3]."""
    channels = channels or config_f_channels(resolution)
    num_ws = num_ws_for(resolution)
    w_plus = keras.Input(shape=(num_ws, w_dim), name="w_plus")
    rows = [StyleRow(index, name=f"w_row_{index}")(w_plus) for index in range(num_ws)]
    x = ConstantInput(channels[4], name="input")(w_plus)
    x = StyledConv(channels[4], channels[4], 3, 4, w_dim, name="conv1")([x, rows[0]])
    rgb = StyledConv(channels[4], 3, 1, 4, w_dim, demodulate=False, activation=False, noise=False,
                     name="to_rgb1")([x, rows[1]])
    size, block = 8, 0
    while size <= resolution:
        x = StyledConv(channels[size // 2], channels[size], 3, size, w_dim, upsample=True,
                       name=f"convs_{2 * block}")([x, rows[2 * block + 1]])
        x = StyledConv(channels[size], channels[size], 3, size, w_dim, name=f"convs_{2 * block + 1}")(
            [x, rows[2 * block + 2]])
        rgb_block = StyledConv(channels[size], 3, 1, size, w_dim, demodulate=False, activation=False, noise=False,
                               name=f"to_rgbs_{block}")([x, rows[2 * block + 3]])
        rgb = keras.layers.Add(name=f"skip_{block}")([UpsampleRgb(name=f"upsample_rgb_{block}")(rgb), rgb_block])
        size, block = size * 2, block + 1
    image = keras.layers.Activation("linear", dtype="float32", name="image")(rgb)
    return keras.Model(w_plus, image, name=name or f"stylegan2_synthesis_{resolution}")
