"""Filling a face's hole with the trained patent network.

    fill(image [H, W, 3] uint8 RGB, hole [H, W], network, size, generator, parser, name) -> [H, W, 3] uint8
    fill_framed(network, size, faces [B, S, S, 3] uint8, holes [B, S, S], labels [B, S, S]) -> [B, S, S, 3] uint8

The face is found on the Telea-prefilled image and warped into the generator's frame at the network's
size (the frame its training faces were rendered in); the parsing map is read from the prefilled face in
that frame (the patent parses the undamaged face, which a user of this command does not have); the
network fills the warped hole, and its output is warped back into the hole only.
fill_framed fills faces already in the generator's frame at any size S: a network trained at a smaller
size sees them resized to its own, and its output is resized back into the hole only.
"""

import cv2
import numpy as np
import tensorflow as tf

from tf_reconstruct.align import photo_align
from tf_reconstruct.inpainting import classical, parsing
from tf_reconstruct.optimize import photo_inversion


def fill(image, hole, network, size, generator, parser, name="image"):
    image = photo_align.as_rgb_uint8(image, name)
    hole = (np.asarray(hole) > 0).astype(np.uint8)
    prefilled = classical.fill(image, hole)
    landmarks = photo_align.detect_landmarks(prefilled, name)
    framed, matrix = photo_inversion.warp_to_generator_frame(image, landmarks, generator, size)
    framed_prefilled, _ = photo_inversion.warp_to_generator_frame(prefilled, landmarks, generator, size)
    inside = cv2.warpAffine(np.ones(hole.shape, np.uint8), matrix, (size, size), flags=cv2.INTER_NEAREST)
    framed_hole = np.maximum(cv2.warpAffine(hole, matrix, (size, size), flags=cv2.INTER_NEAREST), 1 - inside)
    labels = parser(framed_prefilled, name)
    signed = framed.astype(np.float32) / 127.5 - 1.0
    holes = framed_hole[None, :, :, None].astype(np.float32)
    output = network([tf.constant(signed[None] * (1 - holes)), tf.constant(holes),
                      tf.constant(parsing.one_hot(labels)[None])], training=False).numpy()[0]
    fitted = photo_align.signed_to_uint8(output)
    back = cv2.warpAffine(fitted, cv2.invertAffineTransform(matrix), image.shape[1::-1], flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    filled = image.copy()
    filled[hole > 0] = back[hole > 0]
    return filled


def fill_framed(network, size, faces, holes, labels):
    faces, holes, labels = np.asarray(faces), np.asarray(holes) > 0, np.asarray(labels)
    full = faces.shape[1]
    image = tf.image.resize(faces.astype(np.float32) / 127.5 - 1.0, (size, size), "area")
    # A pixel partly in the hole counts as hole, so no hole pixel is read as known.
    hole = tf.cast(tf.image.resize(holes[..., None].astype(np.float32), (size, size), "area") > 0, tf.float32)
    regions = tf.image.resize(labels[..., None], (size, size), "nearest")[..., 0].numpy()
    output = network([image * (1.0 - hole), hole, tf.constant(parsing.one_hot(regions))], training=False)
    output = photo_align.signed_to_uint8(tf.image.resize(output, (full, full), "bilinear").numpy())
    return np.where(holes[..., None], output, faces).astype(np.uint8)
