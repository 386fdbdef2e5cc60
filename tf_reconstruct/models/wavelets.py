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
    low = coefficients[..., :channels]
    shape = tf.shape(coefficients)
    high = tf.reshape(coefficients[..., channels:], [shape[0], shape[1], shape[2], channels, 3])
    lh, hl, hh = high[..., 0], high[..., 1], high[..., 2]
    top_left = low + lh + hl + hh
    top_right = low + lh - hl - hh
    bottom_left = low - lh + hl - hh
    bottom_right = low - lh - hl + hh
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
