"""The single-level 2-D Haar (db1) wavelet transform and its inverse, as used by MobileStyleGAN.

Channel layout of a wavelet tensor with C image channels, NHWC, 4C channels:
  [..., 0:C]            low band (LL) of channels 0..C-1
  [..., C + 3*c + band] high band `band` (0: LH, 1: HL, 2: HH) of channel c
This is the PyTorch layout `(low, high.view(B, C, 3, H, W))` moved to channels-last.
"""

import tensorflow as tf


def haar_inverse(coefficients):
    """Inverse Haar transform, [B, H, W, 4C] -> [B, 2H, 2W, C].

    With s = 1/sqrt(2) filters g0 = (s, s), g1 = (s, -s) (pywt 'db1' reconstruction filters, zero mode),
    output pixel (2i+a, 2j+b) = (LL + sign_a*LH + sign_b*HL + sign_a*sign_b*HH) / 2, sign_0 = +1, sign_1 = -1.
    """
    channels = coefficients.shape[-1] // 4
    low, high = tf.split(coefficients, [channels, 3 * channels], axis=-1)
    shape = tf.shape(coefficients)
    # Bands interleave per channel (c, band); make them contiguous with one transpose. Splits, not
    # strided slices: the backward pass of a strided slice on the channel axis was 40% of a step.
    high = tf.reshape(high, [shape[0], shape[1], shape[2], channels, 3])
    high = tf.reshape(tf.transpose(high, [0, 1, 2, 4, 3]), [shape[0], shape[1], shape[2], 3 * channels])
    lh, hl, hh = tf.split(high, 3, axis=-1)
    low_plus, low_minus = low + lh, low - lh
    high_plus, high_minus = hl + hh, hl - hh
    top_left, top_right = low_plus + high_plus, low_plus - high_plus
    bottom_left, bottom_right = low_minus + high_minus, low_minus - high_minus
    # depth_to_space puts channel block (2a + b) at offset (a, b) of each 2x2 output cell.
    stacked = tf.concat([top_left, top_right, bottom_left, bottom_right], axis=-1) * 0.5
    return tf.nn.depth_to_space(stacked, 2)


def haar_forward(images):
    """Forward Haar transform, the exact inverse of haar_inverse: [B, 2H, 2W, C] -> [B, H, W, 4C]."""
    cells = tf.nn.space_to_depth(images, 2)
    channels = images.shape[-1]
    top_left, top_right, bottom_left, bottom_right = tf.split(cells, 4, axis=-1)
    low = (top_left + top_right + bottom_left + bottom_right) * 0.5
    lh = (top_left + top_right - bottom_left - bottom_right) * 0.5
    hl = (top_left - top_right + bottom_left - bottom_right) * 0.5
    hh = (top_left - top_right - bottom_left + bottom_right) * 0.5
    high = tf.stack([lh, hl, hh], axis=-1)
    shape = tf.shape(images)
    high = tf.reshape(high, [shape[0], shape[1] // 2, shape[2] // 2, 3 * channels])
    return tf.concat([low, high], axis=-1)
