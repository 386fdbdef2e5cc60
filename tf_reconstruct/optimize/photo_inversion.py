"""A real photo into W+ by optimisation: for editing it (the InterfaceGAN report's pSp encoder, which cannot
be trained on these CPUs, replaced by the engine's own pieces) and for filling its holes (Image2StyleGAN++'s
masked inversion, issue 21).

    align_to_generator_frame(photo, name, generator, size) -> (the photo in the generator's own frame, matrix)
    invert_framed(generator, extractor, framed, start_w_plus, ..., known) -> Inversion(w_plus, psnr, cosine,
                                                                                      losses, face)
    template_starts(generator, extractor, framed [B, R, R, 3], baselines_dir, start) -> starts [B, num_ws, 512]
    starts_for_templates(generator, attacker_name, templates [B, D], baselines_dir, start) -> the same, given templates
    invert_photo(generator, extractor, photo, name, bank_dir) -> (Inversion, PSNR on the face region)

The photo is warped into the generator's own frame (its five MTCNN landmarks onto the generator's mean
landmarks, as FFHQ aligns its faces), so the pixel loss compares it with the generator's image directly,
at the resolution the image is rendered at. From a start (the latent bank's, for the photo's own
template), w+ is fitted by Adam to that pixel loss plus an identity loss: 1 - cosine between the
attacker's templates of the generated face and of the photo, both cut by the fixed warp. With `known` (1
where the photo is known, 0 in a hole) the pixel loss counts known pixels only. No restraint (truncation
1): an inversion must reach the photo, not stay near the average face.
"""

import dataclasses

import cv2
import numpy as np
import tensorflow as tf

from tf_reconstruct.align import photo_align
from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.align.similarity import estimate_similarity
from tf_reconstruct.errors import InputError

MARGIN = 24   # the face region of face_region_psnr: the ArcFace crop and 24 px of hair, ears and chin around it
# Against the pixel MSE in [-1, 1]. At 0.5 the identity term won: on George_W_Bush_0001 (fitted in the ArcFace
# frame) the attacker's cosine reached 0.999 with a distorted face at PSNR 18.6 dB (lr 0.03, 150 steps); at
# 0.1, lr 0.05 and 300 steps, PSNR 19.9 dB, the same cosine, and the face is his.
IDENTITY_WEIGHT = 0.1


@dataclasses.dataclass
class Inversion:
    w_plus: np.ndarray   # [num_ws, 512]
    psnr: float          # dB, generated against photo over the known pixels of the frame
    cosine: float        # attacker's template of the generated face against the photo's
    losses: list         # total loss per step
    face: np.ndarray     # the fitted face in the frame [R, R, 3] uint8
    snapshots: dict = dataclasses.field(default_factory=dict)   # {steps: the face after that many steps}


def psnr(first, second):
    """Peak signal-to-noise ratio in dB of two uint8 images."""
    error = np.mean((np.asarray(first, np.float64) - np.asarray(second, np.float64)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0 ** 2 / error))


def align_to_generator_frame(photo, name, generator, size):
    """The photo warped into the generator's own frame at `size` px (its five landmarks onto the generator's
    mean landmarks, as FFHQ aligns): ([size, size, 3] uint8, the 2x3 photo -> frame matrix)."""
    photo = photo_align.as_rgb_uint8(photo, name)
    return warp_to_generator_frame(photo, photo_align.detect_landmarks(photo, name), generator, size)


def warp_to_generator_frame(photo, landmarks, generator, size):
    """As align_to_generator_frame, from given landmarks [5, 2]."""
    target = np.asarray(generator.landmarks, np.float64) * size - 0.5   # pixel centres, as generator_warp
    matrix = estimate_similarity(np.asarray(landmarks, np.float64), target)
    framed = cv2.warpAffine(photo, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return framed, matrix


def _fit(start_w_plus, target, weights, render, arcface_crop, extractor, steps, learning_rate, identity_weight,
         template=None, snapshots=()):
    """Adam on a batch of w+ [B, num_ws, 512]: per sample, weighted pixel MSE of render(w+) to `target` [B, ...]
    plus identity_weight x (1 - cosine) of the attacker's templates of arcface_crop(render) and of
    arcface_crop(target). With a given `template` [B, D] (guided inpainting) the identity term is instead the
    cosine of the composite (the target's pixels where weights are 1, the render's in the hole) to it: the
    fill is pulled towards the person the template stores, judged on the image the user receives.
    The loss is the sum over samples and Adam's moments are elementwise, so each sample's path is what it
    would be alone (up to floating point).
    Returns (w+ [B, ...], cosines [B], losses [steps], faces [B, ...], {snapshot step count: faces [B, ...]})."""
    guided = template is not None
    if guided:
        template = tf.math.l2_normalize(tf.constant(np.asarray(template, np.float32)), axis=-1)
    else:
        template = tf.math.l2_normalize(extractor(arcface_crop(target), value_range="signed"), axis=-1)
    weight_sums = tf.reduce_sum(weights, axis=[1, 2, 3]) * 3.0
    w_plus = tf.Variable(np.asarray(start_w_plus, np.float32))
    optimizer = tf.keras.optimizers.Adam(learning_rate)

    def identity(images):
        if guided:
            images = weights * target + (1.0 - weights) * images
        embedding = extractor.model((arcface_crop(images) + 1.0) * 127.5, training=False)
        return tf.reduce_sum(tf.math.l2_normalize(tf.cast(embedding, tf.float32), axis=-1) * template, axis=-1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            images = render(w_plus)
            pixels = tf.reduce_sum(weights * tf.square(images - target), axis=[1, 2, 3]) / weight_sums
            loss = tf.reduce_sum(pixels + identity_weight * (1.0 - identity(images)))
        optimizer.apply_gradients([(tape.gradient(loss, w_plus), w_plus)])
        return loss

    wanted = set(snapshots)
    if not all(1 <= count < steps for count in wanted):
        raise ValueError(f"snapshots {sorted(wanted)} must lie between 1 and {steps - 1} steps")
    losses, kept = [], {}
    for count in range(1, steps + 1):
        losses.append(float(step()))
        if count in wanted:
            kept[count] = photo_align.signed_to_uint8(render(w_plus).numpy())
    images = render(w_plus)
    return w_plus.numpy(), identity(images).numpy(), losses, photo_align.signed_to_uint8(images.numpy()), kept


def _weights(shape, known):
    """[B, H, W, 1] pixel weights from `known` ([H, W], [B, H, W] or None for all ones over `shape` [B, H, W])."""
    weights = np.ones(shape, np.float32) if known is None else np.asarray(known, np.float32)
    if weights.ndim == 2:
        weights = weights[None]
    return tf.constant(np.broadcast_to(weights, shape)[..., None])


def invert_framed(generator, extractor, framed, start_w_plus, steps=300, learning_rate=0.05, known=None,
                  identity_weight=IDENTITY_WEIGHT, template=None, snapshots=()):
    """Fits w+ to photos in the generator's own frame, [R, R, 3] or a batch [B, R, R, 3] uint8
    (align_to_generator_frame), comparing pixels with the generator's R-px image directly; the identity term
    reads both through the fixed warp, or, with `template` ([D] or [B, D], the attacker's), holds the
    composite to it (_fit). A batch (starts [B, num_ws, 512], known [B, R, R]) gives a list of Inversions,
    each as its photo alone would (the per-face losses are summed). `snapshots` (step counts below `steps`)
    also keeps each face as it was after that many steps: one fit measures several budgets, paired per face."""
    single = np.asarray(framed).ndim == 3
    framed = np.asarray(framed)[None] if single else np.asarray(framed)
    starts = np.asarray(start_w_plus)[None] if single else np.asarray(start_w_plus)
    template = None if template is None else np.asarray(template, np.float32).reshape(len(framed), -1)
    synthesis = generator.synthesis(framed.shape[1])
    target = tf.constant(framed.astype(np.float32) / 127.5 - 1.0)
    weights = _weights(framed.shape[:3], known)
    w_plus, cosines, losses, fitted, kept = _fit(
        starts, target, weights, lambda latent: synthesis(latent, training=False),
        lambda images: warp_to_arcface(images, generator.landmarks), extractor, steps, learning_rate,
        identity_weight, template, snapshots)
    masks = weights.numpy()[..., 0] > 0
    results = [Inversion(w_plus[i], psnr(fitted[i][masks[i]], framed[i][masks[i]]), float(cosines[i]), losses,
                         fitted[i], {count: faces[i] for count, faces in kept.items()}) for i in range(len(framed))]
    return results[0] if single else results


def face_region_psnr(generator, fitted, framed, margin=MARGIN):
    """PSNR of two faces in the generator frame over the face region: the ArcFace crop with `margin` px of
    hair, ears and chin on each side, as the fixed warp cuts it from both."""
    pair = tf.constant(np.stack([fitted, framed]).astype(np.float32) / 127.5 - 1.0)
    crops = photo_align.signed_to_uint8(warp_to_arcface(pair, generator.landmarks, margin).numpy())
    return psnr(crops[0], crops[1])


def template_starts(generator, extractor, framed, baselines_dir, start="bank", loaded=None):
    """Starts [B, num_ws, 512] for faces in the generator frame [B, R, R, 3] uint8 (holes and all), from each
    face's attacker template (cut by the fixed warp): the latent bank's w ('bank') or the trained Mapping's
    ('mapping'), both in `baselines_dir` (train_baselines' output); `loaded`, a dict, keeps them for the next
    batch."""
    if start not in ("bank", "mapping"):
        raise InputError(f"unknown inversion start {start!r}; choose bank or mapping")
    crops = warp_to_arcface(tf.constant(np.asarray(framed), tf.float32) / 127.5 - 1.0, generator.landmarks)
    return starts_for_templates(generator, extractor.name, extractor(crops, value_range="signed").numpy(),
                                baselines_dir, start, loaded)


def starts_for_templates(generator, attacker_name, templates, baselines_dir, start="bank", loaded=None):
    """Starts [B, num_ws, 512] for attacker templates [B, D]: the latent bank's w ('bank') or the trained
    Mapping's ('mapping'), both in `baselines_dir` (train_baselines' output); `loaded` as template_starts."""
    from tf_reconstruct.optimize import recipes
    if start not in ("bank", "mapping"):
        raise InputError(f"unknown inversion start {start!r}; choose bank or mapping")
    starts = recipes.warm_start_latents(start, generator, attacker_name, baselines_dir,
                                        {str(index): template for index, template in enumerate(templates)}, loaded)
    return np.stack([starts.latents[str(index)] for index in range(len(templates))])


def invert_photo(generator, extractor, photo, name, bank_dir, steps=300, resolution=256):
    """A real photo into W+: aligned into the generator frame, started from the latent bank's w for its
    attacker template, fitted by invert_framed. Returns (Inversion, PSNR on the face region)."""
    framed, _ = align_to_generator_frame(photo, name, generator, resolution)
    start = template_starts(generator, extractor, framed[None], bank_dir)[0]
    result = invert_framed(generator, extractor, framed, start, steps=steps)
    return result, face_region_psnr(generator, result.face, framed)
