"""MobileFaceNet (Chen et al. 2018) face feature extractors, as Keras functional models.

    faces [B, 112, 112, 3] RGB float in [0, 255], ArcFace-aligned -> embeddings [B, D], not normalised

Two pretrained variants exist here, differing only in details the config names:
  - `mobilefacenet192`: sirius-ai MobileFaceNet_TF (ArcFace loss, MS1M), TensorFlow 'SAME' padding,
    a linear 1x1 projection after the stem, head GDC -> 1x1 512 -> 1x1 192; input (x - 127.5) / 128.
  - `mobilefacenet512`: a PyTorch export, symmetric padding, no stem projection, head GDC -> 1x1 512;
    input (x - 127) / 128.
Each model applies its own preprocessing (the `preprocess` layer), so callers pass raw pixel values.
Batch norms are folded into the conv biases, as in the exported files.
"""

import dataclasses

import tensorflow as tf

keras = tf.keras

# (expansion channels, output channels, repeats, stride) of each bottleneck group.
BOTTLENECK_GROUPS = ((128, 64, 5, 2), (256, 128, 1, 2), (256, 128, 6, 1), (512, 128, 1, 2), (256, 128, 2, 1))


@dataclasses.dataclass(frozen=True)
class MobileFaceNetConfig:
    embedding_dim: int
    pixel_offset: float
    pixel_scale: float
    tf_same_padding: bool
    stem_projection: bool
    head_channels: tuple


CONFIGS = {
    "mobilefacenet192": MobileFaceNetConfig(192, 127.5, 1 / 128, True, True, (512, 192)),
    "mobilefacenet512": MobileFaceNetConfig(512, 127.0, 1 / 128, False, False, (512,)),
}


@keras.utils.register_keras_serializable(package="tf_reconstruct")
class PixelPreprocess(keras.layers.Layer):
    """(pixels - offset) * scale, shape-preserving; pixels are RGB in [0, 255]."""

    def __init__(self, offset, scale, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset
        self.scale = scale

    def call(self, pixels):
        return (tf.cast(pixels, self.compute_dtype) - self.offset) * self.scale

    def get_config(self):
        return {**super().get_config(), "offset": self.offset, "scale": self.scale}


def _conv(x, channels, kernel, stride, name, config, depthwise=False):
    """A conv with folded batch norm; padding follows the source framework."""
    if kernel > 1 and not config.tf_same_padding:
        x = keras.layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
        padding = "valid"
    else:
        padding = "same" if kernel > 1 else "valid"
    if depthwise:
        return keras.layers.DepthwiseConv2D(kernel, stride, padding=padding, name=name)(x)
    return keras.layers.Conv2D(channels, kernel, stride, padding=padding, name=name)(x)


def _prelu(x, name):
    return keras.layers.PReLU(shared_axes=[1, 2], name=name)(x)


def build_mobilefacenet(variant="mobilefacenet192", name=None):
    """Builds a MobileFaceNet: faces [B, 112, 112, 3] in [0, 255] -> embeddings [B, embedding_dim]."""
    config = CONFIGS[variant]
    faces = keras.Input(shape=(112, 112, 3), name="faces")
    x = PixelPreprocess(config.pixel_offset, config.pixel_scale, name="preprocess")(faces)
    x = _prelu(_conv(x, 64, 3, 2, "stem_conv", config), "stem_conv_prelu")
    x = _prelu(_conv(x, 64, 3, 1, "stem_depthwise", config, depthwise=True), "stem_depthwise_prelu")
    if config.stem_projection:
        x = _conv(x, 64, 1, 1, "stem_project", config)
    channels = 64
    for group, (expansion, out_channels, repeats, stride) in enumerate(BOTTLENECK_GROUPS):
        for index in range(repeats):
            block_stride = stride if index == 0 else 1
            prefix = f"block_{group}_{index}"
            y = _prelu(_conv(x, expansion, 1, 1, f"{prefix}_expand", config), f"{prefix}_expand_prelu")
            y = _prelu(_conv(y, expansion, 3, block_stride, f"{prefix}_depthwise", config, depthwise=True),
                       f"{prefix}_depthwise_prelu")
            y = _conv(y, out_channels, 1, 1, f"{prefix}_project", config)
            if block_stride == 1 and channels == out_channels:
                y = keras.layers.Add(name=f"{prefix}_residual")([x, y])
            x, channels = y, out_channels
    x = _prelu(_conv(x, 512, 1, 1, "head_conv", config), "head_conv_prelu")
    x = keras.layers.DepthwiseConv2D(7, 1, padding="valid", name="head_global_depthwise")(x)
    for index, head_channels in enumerate(config.head_channels):
        x = keras.layers.Conv2D(head_channels, 1, name=f"head_linear_{index}")(x)
    embeddings = keras.layers.Flatten(name="embeddings", dtype="float32")(x)
    return keras.Model(faces, embeddings, name=name or variant)


def conv_layers(model):
    """The model's Conv2D and DepthwiseConv2D layers in graph order (the order converters fill them)."""
    return [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]


def prelu_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.PReLU)]
