"""The patent's facial-style inpainting generator and its PatchGAN discriminator (CN113298736A), in Keras.

    build_generator(size, regions, ...) -> Model([masked image [B, S, S, 3] in [-1, 1], hole [B, S, S, 1],
                                                  parsing [B, S, S, N]]) -> filled image [B, S, S, 3] in [-1, 1]
    build_discriminator(size) -> Model(image [B, S, S, 3]) -> patch logits [B, S/8 - 2, S/8 - 2, 1]

The generator (claims 1-3, eqs. (1)-(21)):
  style-extraction sub-network: 4 down blocks, 3 up blocks -> style features F_s [B, S/2, S/2, 256];
  style matrix (eqs. 2-4) from F_s pooled over each parsing region and over the face: [B, 256, N + 1];
  per skip connection, adaptive fusion (eqs. 6-7) -> (gamma, beta) [B, N, C_j];
  U-Net encoder: 5 down blocks; the first 4 outputs are skip features F_j, the 5th the abstract feature;
  a region-inpainting module (eqs. 12, 16-18) on every skip; decoder: an up block on the abstract feature
  (eq. 19), then 4 up blocks each on [previous, repaired skip] (eq. 20), then a 3x3 conv and tanh (eq. 21).
The encoder and the style network see the masked image with its hole mask as a 4th channel. The parsing
map is the unmasked face's, as the patent specifies (the ground-truth parsing of the real image).

Where the patent is ambiguous the choice is in patent_layers.py and BUILD_NOTES.md (Inpainting). Here:
the claims' decoder has "four up-sampling layers" but eqs. (19)-(20) take N_d + 1 = 5 (one on the
abstract feature, then one per skip), and only 5 undo the encoder's 5 halvings: 5 are built. Eq. (20)
writes the concatenated skip as F^sc (the repair branch) while the text says the repaired skip F^sr:
F^sr is used.

Ablations (issue 21): region_norm=False replaces every region normalisation by plain instance
normalisation; global_style_only=True makes the fusion use the global style alone.
"""

import tensorflow as tf

from tf_reconstruct.inpainting import patent_layers as layers

keras = tf.keras
ENCODER_CHANNELS = (64, 128, 256, 512, 512)
STYLE_CHANNELS = 256


def build_generator(size=256, regions=9, width=1.0, region_norm=True, global_style_only=False):
    """The generator; `width` scales every channel count (1.0 is the full network; 0.25 for tests)."""
    if size % 32:
        raise ValueError(f"the generator halves the image 5 times: size must be a multiple of 32, got {size}")
    channels = [max(8, int(c * width)) for c in ENCODER_CHANNELS]
    style_channels = STYLE_CHANNELS   # the patent's style matrix is 256 x (N + 1) at any width
    masked = keras.Input((size, size, 3), name="masked_image")
    hole = keras.Input((size, size, 1), name="hole")
    parsing = keras.Input((size, size, regions), name="parsing")
    inputs = keras.layers.Concatenate(name="image_and_hole")([masked, hole])

    # Style extraction (eq. 1): 4 down, 3 up -> S/2.
    style = inputs
    for index, count in enumerate((64, 128, 256, 256)):
        style = layers.DownBlock(max(8, int(count * width)), name=f"style_down{index}")(style)
    for index in range(3):
        style = layers.UpBlock(style_channels, name=f"style_up{index}")(style)
    style_parsing = layers.ResizeMaps(size // 2, name="style_parsing")(parsing)
    matrix = layers.StyleMatrix(name="style_matrix")(style, style_parsing)

    # Encoder (eqs. 8-10).
    skips, features = [], inputs
    for index, count in enumerate(channels):
        features = layers.DownBlock(count, name=f"encoder_down{index}")(features)
        if index < len(channels) - 1:
            skips.append(features)

    # Region inpainting on every skip (eq. 11).
    repaired = []
    for index, skip in enumerate(skips):
        side = size // 2 ** (index + 1)
        fusion = layers.AdaptiveFusion(regions, channels[index], global_only=global_style_only,
                                       name=f"fusion{index}")
        gamma, beta = fusion(matrix)
        region_maps = layers.ResizeMaps(side, name=f"parsing{index}")(parsing)
        damage = layers.Damage(side, name=f"damage{index}")(parsing, hole)
        module = layers.RegionInpaint(channels[index], region_norm=region_norm, name=f"region_inpaint{index}")
        repaired.append(module(skip, region_maps, damage, gamma, beta))

    # Decoder (eqs. 19-21).
    decoded = layers.UpBlock(channels[-2], name="decoder_up0")(features)
    for step, skip in enumerate(reversed(repaired)):
        level = len(repaired) - 1 - step
        target = channels[level - 1] if level > 0 else channels[0]
        decoded = keras.layers.Concatenate(name=f"decoder_cat{step + 1}")([decoded, skip])
        decoded = layers.UpBlock(target, name=f"decoder_up{step + 1}")(decoded)
    image = keras.layers.Conv2D(3, 3, padding="same", activation="tanh", name="to_image")(decoded)
    return keras.Model([masked, hole, parsing], image, name="patent_inpainting_generator")


def build_discriminator(size=256, width=1.0):
    """PatchGAN (Isola et al. 2017, the patent's 'well-known' discriminator): 4x4 convs, 64-128-256 at stride 2,
    512 at stride 1, then 1 logit per patch; instance norm after the first."""
    image = keras.Input((size, size, 3), name="image")
    hidden = image
    for index, (count, stride) in enumerate(((64, 2), (128, 2), (256, 2), (512, 1))):
        if stride == 1:   # pix2pix pads its stride-1 4x4 convs by 1: each then takes one pixel off the side
            hidden = keras.layers.ZeroPadding2D(1, name=f"pad{index}")(hidden)
        hidden = keras.layers.Conv2D(max(8, int(count * width)), 4, strides=stride,
                                     padding="same" if stride == 2 else "valid", name=f"conv{index}")(hidden)
        if index:
            hidden = layers.InstanceNorm(name=f"norm{index}")(hidden)
        hidden = keras.layers.LeakyReLU(0.2, name=f"lrelu{index}")(hidden)
    hidden = keras.layers.ZeroPadding2D(1, name="pad_logits")(hidden)
    logits = keras.layers.Conv2D(1, 4, padding="valid", name="patch_logits")(hidden)
    return keras.Model(image, logits, name="patchgan")
