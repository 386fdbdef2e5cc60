"""The paper's reconstruction (its section 1): w+* = argmin_w+ loss(f(align(g(w+))), V), by SGD at lr 0.1.

    reconstruct(generator, extractor, targets [B, D]) -> ReconstructionResult

Every sample stops on its own (optimize/stopping.py): a stopped sample keeps its best latent and its
latent is no longer changed, while the others go on in the same batch.
"""

import dataclasses
import time

import numpy as np
import tensorflow as tf
from absl import logging

from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.align.photo_align import signed_to_uint8
from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.optimize import losses, schedules, stopping

SPACES = ("wplus", "w", "z")
INITIALISATIONS = ("mean", "uniform")
OPTIMIZERS = ("sgd", "adam")


class TemplateError(TfReconstructError, ValueError):
    """Target templates that cannot be reconstructed (wrong dimension, NaN/Inf, empty)."""


@dataclasses.dataclass
class ReconstructionResult:
    """Outcome for a batch of B templates.

    Attributes:
      w_plus: [B, num_ws, 512] float32, the best latent of each sample as w+.
      loss: [B] the best loss reached (at the optimisation resolution).
      steps: [B] evaluations used before the sample stopped.
      loss_curves: B lists of per-step losses.
      seconds: wall time of the optimisation (not the final render).
      first_step_seconds: the part of `seconds` spent on the first step, which includes tracing.
      final_cosine: [B] cosine between f(align(g(w+*))) rendered at full resolution and the target, or None.
      images: [B, R, R, 3] uint8 full-resolution renders, or None.
    """
    w_plus: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    loss_curves: list
    seconds: float
    first_step_seconds: float = 0.0
    final_cosine: np.ndarray = None
    images: np.ndarray = None


def check_templates(targets, embedding_dim, name="templates"):
    """Validates templates [B, D] or [D]: returns float32 [B, D]; raises TemplateError naming the problem."""
    targets = np.asarray(targets)
    if targets.ndim == 1:
        targets = targets[None]
    if targets.ndim != 2 or targets.shape[0] == 0:
        raise TemplateError(f"{name}: expected a [N, {embedding_dim}] or [{embedding_dim}] array, got shape "
                            f"{targets.shape}")
    if targets.shape[1] != embedding_dim:
        raise TemplateError(f"{name}: templates are {targets.shape[1]}-d but the extractor makes {embedding_dim}-d "
                            f"features; choose the extractor that produced them (--extractor)")
    if not np.issubdtype(targets.dtype, np.number) or not np.isfinite(targets).all():
        raise TemplateError(f"{name}: templates contain NaN, Inf or non-numbers")
    if (np.linalg.norm(targets, axis=1) == 0).any():
        raise TemplateError(f"{name}: a template is all zeros")
    return targets.astype(np.float32)


def initial_latent(generator, batch, space, init, seed):
    """The starting latent: [B, num_ws, 512] (wplus) or [B, 512] (w, z)."""
    rng = np.random.default_rng(seed)
    if init == "mean":
        if space == "wplus":
            return generator.mean_w_plus(batch)
        if space == "w":
            return np.tile(generator.w_avg[None].astype(np.float32), [batch, 1])
        return np.zeros((batch, 512), np.float32)  # z = 0 maps to the mapping's response at the origin
    if init == "uniform":
        shape = (batch, generator.num_ws, 512) if space == "wplus" else (batch, 512)
        return rng.uniform(-1.0, 1.0, shape).astype(np.float32)
    raise ValueError(f"init must be one of {INITIALISATIONS}, not {init!r}")


def latent_to_w_plus(generator, latent, space, truncation=1.0):
    """[B, num_ws, 512] w+ from a latent of the given space.

    `truncation` is the paper's restraint lerp(w_avg, w+, weight) = w_avg + (w+ - w_avg) * weight, which keeps
    every row near the mean so images do not distort; 1 leaves w+ as it is.
    """
    if space == "wplus":
        w_plus = latent
    else:
        w = generator.mapping(latent, training=False) if space == "z" else latent
        w_plus = tf.tile(w[:, None, :], [1, generator.num_ws, 1])
    if truncation == 1.0:
        return w_plus
    w_avg = tf.constant(generator.w_avg, tf.float32)
    return w_avg + (w_plus - w_avg) * truncation


def embed_generated(generator, extractor, w_plus, resolution):
    """Features of the generated, aligned faces: [B, num_ws, 512] -> [B, D]."""
    images = generator.synthesis(resolution)(w_plus, training=False)
    faces = warp_to_arcface(images, generator.landmarks)
    return extractor.model((faces + 1.0) * 127.5, training=False)


def render(generator, w_plus, resolution=None):
    """Renders w+ one sample at a time (bounded memory): -> uint8 [B, R, R, 3] and the [-1, 1] float images."""
    synthesis = generator.synthesis(resolution)
    images = [synthesis(w_plus[index:index + 1], training=False).numpy()[0] for index in range(len(w_plus))]
    return np.stack([signed_to_uint8(image) for image in images]), np.stack(images)


def reconstruct(generator, extractor, targets, *, steps=2000, patience=50, learning_rate=0.1, optimizer="sgd",
                schedule="constant", space="wplus", init="mean", loss="mse", resolution=None, seed=0,
                truncation=1.0, render_final=True, jit_compile=False, log_every=50):
    """Reconstructs faces from templates.

    Args:
      generator, extractor: from models.registry.
      targets: [B, D] or [D] templates of `extractor` (raw, as a system stores them).
      steps, patience, learning_rate: the paper's 2000, 50 and 0.1.
      optimizer: 'sgd' (the paper's) or 'adam'.
      schedule: 'constant' or 'projector' (StyleGAN2 projector warm-up and cosine ramp-down).
      space: 'wplus' (the paper's), 'w' or 'z' (its Fig. 2).
      init: 'mean' (mean w+ of 100,000 samples, the paper's) or 'uniform' (its Fig. 3).
      loss: a key of optimize.losses.LOSSES.
      truncation: the paper's lerp(w_avg, w+, weight) restraint weight in [0, 1]; 1 is none.
      resolution: side at which the loss image is rendered; None is the generator's full size, smaller
        sizes stop the generator early (faster, but see BUILD_NOTES on the early-exit fidelity).
      render_final: render the best latents at full resolution and score them.

    Returns:
      ReconstructionResult.
    """
    resolution = resolution or generator.resolution
    if not 0.0 <= truncation <= 1.0:
        raise ValueError(f"truncation (the lerp weight) must be in [0, 1], not {truncation}")
    if space not in SPACES or optimizer not in OPTIMIZERS or loss not in losses.LOSSES:
        raise ValueError(f"space in {SPACES}, optimizer in {OPTIMIZERS}, loss in {sorted(losses.LOSSES)}")
    targets = tf.constant(check_templates(targets, extractor.embedding_dim))
    batch = int(targets.shape[0])
    start_value = initial_latent(generator, batch, space, init, seed)
    latent = tf.Variable(start_value, name="latent")
    best_latent = tf.Variable(start_value, name="best_latent")
    best_loss, stale_steps, active = (tf.Variable(value) for value in stopping.initial_state(batch))
    keras_optimizer = (tf.keras.optimizers.SGD(learning_rate) if optimizer == "sgd"
                       else tf.keras.optimizers.Adam(learning_rate))
    loss_fn = losses.LOSSES[loss]
    mask_shape = [batch] + [1] * (len(start_value.shape) - 1)
    schedule_fn = {"constant": schedules.constant, "projector": schedules.projector_ramp}[schedule]

    @tf.function(jit_compile=jit_compile)
    def step_fn(step):
        with tf.GradientTape() as tape:
            embeddings = embed_generated(generator, extractor,
                                         latent_to_w_plus(generator, latent, space, truncation), resolution)
            per_sample = loss_fn(tf.cast(embeddings, tf.float32), targets)
            # Samples are independent, so the gradient of the sum is each sample's own gradient.
            total = tf.reduce_sum(per_sample)
        gradient = tape.gradient(total, latent)
        state, improved = stopping.update((best_loss, stale_steps, active), per_sample, step, patience, steps)
        best_latent.assign(tf.where(tf.reshape(improved, mask_shape), latent, best_latent))
        previous = tf.identity(latent)
        keep = tf.reshape(state[2], mask_shape)
        keras_optimizer.apply_gradients([(gradient * tf.cast(keep, gradient.dtype), latent)])
        # Adam's moments would still move a stopped sample: put it back exactly.
        latent.assign(tf.where(keep, latent, previous))
        best_loss.assign(state[0])
        stale_steps.assign(state[1])
        active.assign(state[2])
        return per_sample

    curves = [[] for _ in range(batch)]
    used = np.zeros(batch, np.int64)
    started = time.time()
    for step in range(1, steps + 1):
        # The optimizer keeps its own rate variable (it copies any variable it is given).
        keras_optimizer.learning_rate.assign(schedule_fn(step - 1, steps, learning_rate))
        was_active = active.numpy()
        per_sample = step_fn(tf.constant(step, tf.int32)).numpy()
        if step == 1:
            first_step_seconds = time.time() - started
        for index in np.flatnonzero(was_active):
            curves[index].append(float(per_sample[index]))
            used[index] = step
        if log_every and step % log_every == 0:
            logging.info("step %d: %d/%d active, best loss mean %.5f", step, int(active.numpy().sum()), batch,
                         float(np.mean(best_loss.numpy())))
        if not active.numpy().any():
            break
    seconds = time.time() - started
    w_plus = latent_to_w_plus(generator, best_latent, space, truncation).numpy()
    result = ReconstructionResult(w_plus=w_plus, loss=best_loss.numpy(), steps=used, loss_curves=curves,
                                  seconds=seconds, first_step_seconds=first_step_seconds)
    if render_final:
        result.images, float_images = render(generator, w_plus)
        faces = warp_to_arcface(float_images, generator.landmarks)
        final = extractor(faces, "signed").numpy()
        result.final_cosine = np.sum(_normalise(final) * _normalise(targets.numpy()), axis=1)
    return result


def _normalise(vectors):
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
