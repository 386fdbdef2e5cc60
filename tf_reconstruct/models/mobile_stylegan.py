"""MobileStyleGAN synthesis network (Belousov 2021), the distilled student of StyleGAN2 ffhq-config-f.

    w_plus [B, 23, 512] -> image [B, R, R, 3] in [-1, 1], R in {16, 32, ..., 1024}

Structure (channels [512, 512, 512, 512, 512, 256, 128, 64]):
  a learned 4x4 constant -> `conv1` (modulated 3x3 conv, noise, bias, lrelu)
  -> 7 blocks `layers_{k}`: `up` (modulated Haar inverse-wavelet upsample x2),
     `conv1` and `conv2` (modulated depthwise-separable 3x3 convs), `to_img` (modulated 1x1 to 12
     wavelet channels); block k works at 2^(k+3) pixels and its to_img, inverse-transformed, is an
     image of 2^(k+4) pixels.
Style rows: conv1 <- w[0]; block k: up and conv1 <- w[3k+1], conv2 <- w[3k+2], to_img <- w[3k+3].
Row 1 is shared by the stem's (unused) to_img and block 0, and row 22 is never read: this is the
original's indexing, kept so that w+ from the original code means the same here.

Folding, as in the exported IR the weights come from: the modulation scale 1/sqrt(fan_in) is folded
into the modulation kernel and bias; the demodulation (style-independent in MobileStyleGAN) into the
pointwise kernel; the noise strength into a fixed noise map.
Only block 6's to_img exists in the exported weights; the to_img of blocks 0-5 are early-exit heads
fitted by the converter (converters/early_exit_heads.py) so the loop can stop at a lower resolution.
"""

import math

import tensorflow as tf

from tf_reconstruct.models.wavelets import haar_inverse

keras = tf.keras

NUM_WS = 23
STYLE_DIM = 512
CHANNELS = (512, 512, 512, 512, 512, 256, 128, 64)
MAX_RESOLUTION = 1024


def style_rows(block):
    """The w+ rows read by block `block`: (up and conv1, conv2, to_img)."""
    return 3 * block + 1, 3 * block + 2, 3 * block + 3


def live_style_rows(resolution=MAX_RESOLUTION):
    """The w+ rows that affect the image at `resolution` (sorted).

    The stem's to_img and blocks 0-5's to_img feed nothing in the original network, so at 1024 px only
    16 of the 23 rows are live: 0, 3k+1 and 3k+2 for every block, and 21 (block 6's to_img). Early exits
    use fitted heads with unit modulation, whose style row is also inert.
    """
    last_block = block_for_resolution(resolution)
    rows = {0} | {row for block in range(last_block + 1) for row in style_rows(block)[:2]}
    if last_block == len(CHANNELS) - 2:
        rows.add(style_rows(last_block)[2])
    return sorted(rows)


def block_for_resolution(resolution):
    """The last block needed for an output image of `resolution` pixels (16 -> 0, ..., 1024 -> 6)."""
    block = int(round(math.log2(resolution))) - 4
    if resolution not in [2 ** (k + 4) for k in range(len(CHANNELS) - 1)]:
        raise ValueError(f"MobileStyleGAN can output 16, 32, ..., 1024 pixels, not {resolution}")
    return block


class Modulated(keras.layers.Layer):
    """Base for layers that scale their input channels by an affine map of one style vector."""

    def __init__(self, channels_in, style_dim=STYLE_DIM, **kwargs):
        super().__init__(**kwargs)
        self.channels_in = channels_in
        self.style_dim = style_dim

    def build(self, input_shape):
        self.modulation_kernel = self.add_weight(
            name="modulation_kernel", shape=(self.style_dim, self.channels_in), initializer="random_normal")
        self.modulation_bias = self.add_weight(
            name="modulation_bias", shape=(self.channels_in,), initializer="ones")

    def styles(self, style):
        """The per-channel scales, style [B, style_dim] -> [B, Cin] (an affine map)."""
        style = tf.cast(style, self.compute_dtype)
        scales = tf.matmul(style, tf.cast(self.modulation_kernel, self.compute_dtype))
        return scales + tf.cast(self.modulation_bias, self.compute_dtype)

    def modulate(self, features, style):
        """features [B, H, W, Cin], style [B, style_dim] -> features * styles [B, 1, 1, Cin]."""
        return features * self.styles(style)[:, None, None, :]

    def get_config(self):
        return {**super().get_config(), "channels_in": self.channels_in, "style_dim": self.style_dim}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class ConstantInput(keras.layers.Layer):
    """The learned constant, w_plus [B, ...] -> [B, size, size, channels]."""

    def __init__(self, channels, size=4, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.size = size

    def build(self, input_shape):
        self.constant = self.add_weight(name="constant", shape=(1, self.size, self.size, self.channels),
                                        initializer="random_normal")

    def call(self, w_plus):
        batch = tf.shape(w_plus)[0]
        return tf.tile(tf.cast(self.constant, self.compute_dtype), [batch, 1, 1, 1])

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class ModulatedConv(Modulated):
    """Modulated full conv with folded demodulation: [B, H, W, Cin], [B, 512] -> [B, H, W, Cout].

    With `resolution` set it adds a fixed noise map, a bias and lrelu(0.2) (a StyledConv2d);
    without, it adds a bias only (a to_img).
    """

    def __init__(self, channels_in, channels_out, kernel_size, resolution=None, **kwargs):
        super().__init__(channels_in, **kwargs)
        self.channels_out = channels_out
        self.kernel_size = kernel_size
        self.resolution = resolution

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel = self.add_weight(name="kernel", initializer="random_normal",
                                      shape=(self.kernel_size, self.kernel_size, self.channels_in, self.channels_out))
        self.bias = self.add_weight(name="bias", shape=(self.channels_out,), initializer="zeros")
        if self.resolution:
            self.noise = self.add_weight(name="noise", shape=(1, self.resolution, self.resolution, 1),
                                         initializer="zeros")

    def call(self, inputs):
        features, style = inputs
        features = self.modulate(features, style)
        features = tf.nn.conv2d(features, tf.cast(self.kernel, self.compute_dtype), 1, "SAME")
        if self.resolution:
            features = features + tf.cast(self.noise, self.compute_dtype)
        features = features + tf.cast(self.bias, self.compute_dtype)
        return tf.nn.leaky_relu(features, 0.2) if self.resolution else features

    def get_config(self):
        return {**super().get_config(), "channels_out": self.channels_out, "kernel_size": self.kernel_size,
                "resolution": self.resolution}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class ModulatedSeparableConv(Modulated):
    """Modulated depthwise 3x3 + pointwise conv with noise, bias, lrelu: [B, R, R, Cin] -> [B, R, R, Cout]."""

    def __init__(self, channels_in, channels_out, resolution, **kwargs):
        super().__init__(channels_in, **kwargs)
        self.channels_out = channels_out
        self.resolution = resolution

    def build(self, input_shape):
        super().build(input_shape)
        self.depthwise_kernel = self.add_weight(name="depthwise_kernel", shape=(3, 3, self.channels_in, 1),
                                                initializer="random_normal")
        self.pointwise_kernel = self.add_weight(name="pointwise_kernel",
                                                shape=(1, 1, self.channels_in, self.channels_out),
                                                initializer="random_normal")
        self.noise = self.add_weight(name="noise", shape=(1, self.resolution, self.resolution, 1),
                                     initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(self.channels_out,), initializer="zeros")

    def call(self, inputs):
        features, style = inputs
        features = self.modulate(features, style)
        features = tf.nn.depthwise_conv2d(features, tf.cast(self.depthwise_kernel, self.compute_dtype),
                                          [1, 1, 1, 1], "SAME")
        features = tf.nn.conv2d(features, tf.cast(self.pointwise_kernel, self.compute_dtype), 1, "VALID")
        features = features + tf.cast(self.noise, self.compute_dtype) + tf.cast(self.bias, self.compute_dtype)
        return tf.nn.leaky_relu(features, 0.2)

    def get_config(self):
        return {**super().get_config(), "channels_out": self.channels_out, "resolution": self.resolution}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class ModulatedWaveletUpsample(Modulated):
    """Modulates then inverse-Haar-transforms, [B, R, R, Cin], [B, 512] -> [B, 2R, 2R, Cin / 4]."""

    def call(self, inputs):
        features, style = inputs
        return haar_inverse(self.modulate(features, style))


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class WaveletToImage(keras.layers.Layer):
    """12 wavelet channels to an RGB image, [B, R, R, 12] -> [B, 2R, 2R, 3] float32."""

    def call(self, coefficients):
        return tf.cast(haar_inverse(coefficients), tf.float32)


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class StyleRow(keras.layers.Layer):
    """Selects one row of w+, [B, num_ws, 512] -> [B, 512]."""

    def __init__(self, row, **kwargs):
        super().__init__(**kwargs)
        self.row = row

    def call(self, w_plus):
        return w_plus[:, self.row]

    def get_config(self):
        return {**super().get_config(), "row": self.row}


def build_mobile_synthesis(output_resolution=MAX_RESOLUTION, return_wavelets=False, name=None):
    """Builds MobileStyleGAN's synthesis network, truncated at `output_resolution`.

    Args:
      output_resolution: 16, 32, ..., 1024. Below 1024 the image comes from the fitted early-exit
        head of the last block built, so later blocks cost nothing.
      return_wavelets: also return the 12 wavelet channels [B, R/2, R/2, 12] before the inverse transform.

    Returns:
      A keras.Model, w_plus [B, 23, 512] float32 -> image [B, R, R, 3] float32 in about [-1, 1].
    """
    last_block = block_for_resolution(output_resolution)
    w_plus = keras.Input(shape=(NUM_WS, STYLE_DIM), name="w_plus")
    rows = {}

    def row(index):
        if index not in rows:
            rows[index] = StyleRow(index, name=f"w_row_{index}")(w_plus)
        return rows[index]

    hidden = ConstantInput(CHANNELS[0], name="input")(w_plus)
    hidden = ModulatedConv(CHANNELS[0], CHANNELS[0], 3, resolution=4, name="conv1")([hidden, row(0)])
    resolution = 4
    for block in range(last_block + 1):
        channels_in, channels_out = CHANNELS[block], CHANNELS[block + 1]
        up_row, conv2_row, image_row = style_rows(block)
        resolution *= 2
        hidden = ModulatedWaveletUpsample(channels_in, name=f"layers_{block}_up")([hidden, row(up_row)])
        hidden = ModulatedSeparableConv(channels_in // 4, channels_out, resolution,
                                        name=f"layers_{block}_conv1")([hidden, row(up_row)])
        hidden = ModulatedSeparableConv(channels_out, channels_out, resolution,
                                        name=f"layers_{block}_conv2")([hidden, row(conv2_row)])
    wavelets = ModulatedConv(CHANNELS[last_block + 1], 12, 1, name=f"layers_{last_block}_to_img")(
        [hidden, row(image_row)])
    image = WaveletToImage(name="wavelet_to_image")(wavelets)
    outputs = [image, wavelets] if return_wavelets else image
    return keras.Model(w_plus, outputs, name=name or f"mobile_synthesis_{output_resolution}")
