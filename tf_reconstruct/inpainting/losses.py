"""The patent's training losses (its eqs. (22)-(24)), as functions of tensors.

    reconstruction(output, target, hole) -> L1 over the image, the hole weighted HOLE_WEIGHT times more
    gram(features [B, h, w, C]) -> [B, C, C], normalised by h w C
    perceptual(out_features, target_features) / style(...) -> L1 of features / of their Gram matrices
    discriminator_loss(real_logits, fake_logits) / generator_adversarial(real_logits, fake_logits): the
        relativistic average GAN of eq. (23)

Eq. (23) gives the generator's adversarial loss -E_real[log(1 - D_ra(real, fake))] - E_fake[log D_ra(fake,
real)] with D_ra(x, y) = sigmoid(C(x) - E[C(y)]). Eq. (24) sets the discriminator's loss to the same
expression, which would make both players minimise one objective; the discriminator's here is the
relativistic average GAN's own (Jolicoeur-Martineau 2018, as in ESRGAN): -E_real[log D_ra(real, fake)] -
E_fake[log(1 - D_ra(fake, real))]. The patent leaves the weights lambda_1..4 open ("well known"); the
defaults are those of the partial-convolution and region-normalisation papers (train_inpainting flags).
"""

import tensorflow as tf

HOLE_WEIGHT = 6.0   # Liu et al. 2018 (partial convolutions): the hole's L1 counts six times the rest's


def reconstruction(output, target, hole, hole_weight=HOLE_WEIGHT):
    """Mean L1 over pixels and channels, with hole pixels [B, H, W, 1] weighted `hole_weight` times."""
    weights = 1.0 + (hole_weight - 1.0) * hole
    return tf.reduce_sum(weights * tf.abs(output - target)) / (tf.reduce_sum(weights) * output.shape[-1])


def gram(features):
    """[B, h, w, C] -> [B, C, C] / (h w C)."""
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], -1, shape[3]])
    size = tf.cast(shape[1] * shape[2] * shape[3], features.dtype)
    return tf.matmul(flat, flat, transpose_a=True) / size


def perceptual(output_features, target_features):
    """Sum over layers of the mean L1 between feature maps."""
    return tf.add_n([tf.reduce_mean(tf.abs(out - target)) for out, target in zip(output_features, target_features)])


def style(output_features, target_features):
    """Sum over layers of the mean L1 between Gram matrices."""
    return tf.add_n([tf.reduce_mean(tf.abs(gram(out) - gram(target)))
                     for out, target in zip(output_features, target_features)])


def _relative(first, second):
    return first - tf.reduce_mean(second)


def discriminator_loss(real_logits, fake_logits):
    """-E[log sig(C(real) - E C(fake))] - E[log(1 - sig(C(fake) - E C(real)))], via softplus for stability."""
    return (tf.reduce_mean(tf.nn.softplus(-_relative(real_logits, fake_logits)))
            + tf.reduce_mean(tf.nn.softplus(_relative(fake_logits, real_logits))))


def generator_adversarial(real_logits, fake_logits):
    """Eq. (23): -E[log(1 - sig(C(real) - E C(fake)))] - E[log sig(C(fake) - E C(real))]."""
    return (tf.reduce_mean(tf.nn.softplus(_relative(real_logits, fake_logits)))
            + tf.reduce_mean(tf.nn.softplus(-_relative(fake_logits, real_logits))))
