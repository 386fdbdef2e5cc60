"""The building blocks of the patent's facial-style inpainting network (CN113298736A), as Keras layers.

    DownBlock(channels):  [B, H, W, C] -> [B, H/2, W/2, channels]   3x3 conv, stride 2, IN, LeakyReLU
    UpBlock(channels):    [B, H, W, C] -> [B, 2H, 2W, channels]     4x4 transposed conv, stride 2, IN, LeakyReLU
    StyleMatrix():        features [B, h, w, 256], parsing [B, h, w, N] -> [B, 256, N + 1]    eqs. (2)-(4)
    AdaptiveFusion(N, C): style matrix [B, 256, N + 1] -> (gamma, beta), each [B, N, C]      eqs. (6)-(7)
    RegionNorm():         features [B, h, w, C], parsing [B, h, w, N], damage [B, h, w, N], gamma, beta
                          -> [B, h, w, C]                                                   eqs. (13)-(15)
    RegionInpaint(C):     a skip feature and the above -> the repaired skip feature         eqs. (12), (16)-(18)

Where the patent is ambiguous, the choice made (BUILD_NOTES.md, Inpainting):
- It calls its 3x3 stride-1 layers "down-sampling", yet its decoder doubles the size with stride-2
  transposed convolutions and concatenates skip features of matching size: the down blocks here use
  stride 2 (kernel 3 kept).
- Eq. (14) adds beta_i outside the masked product, which would add every damaged region's beta to every
  pixel; as in region normalisation (Yu et al. 2020) and SEAN, beta_i is applied inside region i only.
- Eqs. (6)-(7) pass the local and the global style "each through a fully connected layer"; they are two
  layers per region (one shared Linear would reduce the fusion to mixing its inputs).
"""

import tensorflow as tf

keras = tf.keras
EPSILON = 1e-5


def instance_norm(features):
    """Per-sample, per-channel normalisation over space, without affine parameters: [B, h, w, C]."""
    mean, variance = tf.nn.moments(features, axes=[1, 2], keepdims=True)
    return (features - mean) * tf.math.rsqrt(variance + EPSILON)


class InstanceNorm(keras.layers.Layer):
    """instance_norm as a layer."""

    def call(self, features):
        return instance_norm(features)


class DownBlock(keras.layers.Layer):
    """3x3 conv (stride 2), instance norm, LeakyReLU(0.2): [B, H, W, C] -> [B, H/2, W/2, channels]."""

    def __init__(self, channels, stride=2, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.stride = channels, stride
        self.conv = keras.layers.Conv2D(channels, 3, strides=stride, padding="same")

    def call(self, inputs):
        return tf.nn.leaky_relu(instance_norm(self.conv(inputs)), 0.2)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "stride": self.stride}


class UpBlock(keras.layers.Layer):
    """4x4 transposed conv (stride 2), instance norm, LeakyReLU(0.2): [B, H, W, C] -> [B, 2H, 2W, channels]."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.conv = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same")

    def call(self, inputs):
        return tf.nn.leaky_relu(instance_norm(self.conv(inputs)), 0.2)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def resize_maps(maps, size):
    """Region maps [B, H, W, N] resized to `size` (h, w) by area averaging, then made a partition again:
    each pixel's weights sum to 1 (or 0 where no region was)."""
    maps = tf.image.resize(tf.cast(maps, tf.float32), size, method="area")
    total = tf.reduce_sum(maps, axis=-1, keepdims=True)
    return tf.math.divide_no_nan(maps, total)


class ResizeMaps(keras.layers.Layer):
    """resize_maps as a layer: [B, H, W, N] -> [B, side, side, N]."""

    def __init__(self, side, **kwargs):
        super().__init__(**kwargs)
        self.side = side

    def call(self, maps):
        return resize_maps(maps, (self.side, self.side))

    def get_config(self):
        return {**super().get_config(), "side": self.side}


class Damage(keras.layers.Layer):
    """M_i of eq. (14) at one scale: region i's share of the hole, parsing [B, H, W, N] and hole [B, H, W, 1]
    -> [B, side, side, N]."""

    def __init__(self, side, **kwargs):
        super().__init__(**kwargs)
        self.side = side

    def call(self, parsing, hole):
        return resize_maps(parsing, (self.side, self.side)) * tf.image.resize(hole, (self.side, self.side), "area")

    def get_config(self):
        return {**super().get_config(), "side": self.side}


class StyleMatrix(keras.layers.Layer):
    """Eqs. (2)-(4): the mean style feature over each region and over the whole face.

    features [B, h, w, D], parsing [B, h, w, N] (region weights) -> [B, D, N + 1]; column N is the global
    style, the mean over every pixel of a region (eq. (3): sum of the S_i)."""

    def call(self, features, parsing):
        area = tf.reduce_sum(parsing, axis=[1, 2])                                  # [B, N]
        sums = tf.einsum("bhwd,bhwn->bdn", features, parsing)                       # [B, D, N]
        local = tf.math.divide_no_nan(sums, area[:, None, :])
        everywhere = tf.reduce_sum(parsing, axis=-1, keepdims=True)                 # [B, h, w, 1]
        global_style = tf.math.divide_no_nan(tf.einsum("bhwd,bhwn->bdn", features, everywhere),
                                             tf.reduce_sum(everywhere, axis=[1, 2])[:, None, :])
        return tf.concat([local, global_style], axis=-1)


class AdaptiveFusion(keras.layers.Layer):
    """Eqs. (6)-(7): per region i, gamma_i = sig(a_i) Linear_i(s_i) + (1 - sig(a_i)) Linear'_i(s_global), and the
    same for beta with its own a_i; a starts at 0, so each side weighs 0.5 at first.

    style matrix [B, D, N + 1] -> gamma [B, N, C], beta [B, N, C]."""

    def __init__(self, regions, channels, global_only=False, **kwargs):
        super().__init__(**kwargs)
        self.regions, self.channels, self.global_only = regions, channels, global_only

    def build(self, input_shape):
        depth = int(input_shape[1])
        self.alpha = self.add_weight(name="alpha", shape=(2, self.regions), initializer="zeros")
        # [gamma/beta, local/global, region, D, C] kernels and biases
        self.kernel = self.add_weight(name="kernel", shape=(2, 2, self.regions, depth, self.channels),
                                      initializer=keras.initializers.GlorotUniform())
        self.bias = self.add_weight(name="bias", shape=(2, 2, self.regions, self.channels), initializer="zeros")

    def fusion_weights(self):
        """sig(alpha) [2, N]: the local style's share in gamma (row 0) and beta (row 1)."""
        return tf.sigmoid(self.alpha)

    def call(self, style_matrix):
        local = tf.transpose(style_matrix[:, :, :self.regions], [0, 2, 1])          # [B, N, D]
        global_style = style_matrix[:, :, self.regions]                             # [B, D]
        outputs = []
        for which in range(2):
            from_local = tf.einsum("bnd,ndc->bnc", local, self.kernel[which, 0]) + self.bias[which, 0]
            from_global = tf.einsum("bd,ndc->bnc", global_style, self.kernel[which, 1]) + self.bias[which, 1]
            weight = tf.sigmoid(self.alpha[which])[None, :, None]
            if self.global_only:   # the ablation: the global style alone
                weight = tf.zeros_like(weight)
            outputs.append(weight * from_local + (1.0 - weight) * from_global)
        return outputs[0], outputs[1]

    def get_config(self):
        return {**super().get_config(), "regions": self.regions, "channels": self.channels,
                "global_only": self.global_only}


class RegionNorm(keras.layers.Layer):
    """Eqs. (13)-(15): instance-normalised features, with region i's affine (1 + gamma_i, beta_i) applied inside
    region i only when the hole touches it (sum(M_i) > 0); elsewhere the normalised feature passes unchanged.

    features [B, h, w, C], parsing [B, h, w, N], damage [B, h, w, N] (M_i: region i's hole pixels),
    gamma, beta [B, N, C] -> [B, h, w, C]."""

    def call(self, features, parsing, damage, gamma, beta):
        normalised = instance_norm(features)
        damaged = tf.cast(tf.reduce_sum(damage, axis=[1, 2]) > 0, tf.float32)[:, :, None]   # [B, N, 1]
        scale = tf.einsum("bhwn,bnc->bhwc", parsing, 1.0 + damaged * gamma)
        shift = tf.einsum("bhwn,bnc->bhwc", parsing, damaged * beta)
        # Pixels outside every region keep their normalised value (scale 1, shift 0).
        outside = 1.0 - tf.reduce_sum(parsing, axis=-1, keepdims=True)
        return normalised * (scale + outside) + shift


class RegionInpaint(keras.layers.Layer):
    """The region-inpainting module on one skip connection: eq. (12) a boundary gate sigmoid(RN(conv1x1(F))),
    eqs. (16)-(17) a repair branch RN(LeakyReLU(conv3x3(RN(F)))), eq. (18) their product.

    skip [B, h, w, C], parsing [B, h, w, N], damage [B, h, w, N], gamma, beta [B, N, C] -> [B, h, w, C]."""

    def __init__(self, channels, region_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.region_norm = channels, region_norm
        self.gate_conv = keras.layers.Conv2D(channels, 1)
        self.repair_conv = keras.layers.Conv2D(channels, 3, padding="same")
        # The ablation without region normalisation: no region is treated as damaged, so RN is plain IN.
        self.norm = RegionNorm()

    def call(self, skip, parsing, damage, gamma, beta):
        if not self.region_norm:
            damage = tf.zeros_like(damage)
        gate = tf.sigmoid(self.norm(self.gate_conv(skip), parsing, damage, gamma, beta))
        repaired = self.repair_conv(self.norm(skip, parsing, damage, gamma, beta))
        repaired = self.norm(tf.nn.leaky_relu(repaired, 0.2), parsing, damage, gamma, beta)
        return repaired * gate

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "region_norm": self.region_norm}
