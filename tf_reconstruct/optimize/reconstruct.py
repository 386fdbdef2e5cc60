"""The paper's reconstruction (its section 1): w+* = argmin_w+ loss(f(align(g(w+))), V), by SGD at lr 0.1.

    reconstruct(generator, extractor, targets [B, D], settings) -> ReconstructionResult
    reconstruct_stream(generator, extractor, targets [N, D], settings, on_done=...) -> ([SampleResult], ...)

`settings` is an EngineSettings (optimize/settings.py), the whole of what decides how a face is made.

With SGD a slot whose sample stops is refilled at once with the next template (the batch stays full of
live work), and once no template is waiting the batch is compacted to the next power of two above the
live count, so a slow straggler does not pay for a full batch. SGD has no state and each sample keeps its
own schedule step, so a sample's path does not depend on its neighbours or its slot; in floating point it
does depend on the batch's shape and, on some CPUs, the thread count (BUILD_NOTES.md). So a run is
bit-exact when it is repeated whole, or resumed with the layout of its last checkpoint, which rebuilds the
batch as it was and replays it from there. Adam's moments and step count are per optimizer, so with Adam
templates run in groups of `batch_size` that start together, and finished samples are masked until the
group ends.

Every sample stops on its own (optimize/stopping.py): a stopped sample keeps its best latent and its
latent is no longer changed, while the others go on in the same batch. The batch's bookkeeping (who runs
in which slot, restarts, checkpoints) is optimize/slot_queue.py's.
"""

import dataclasses
import time

import numpy as np
import tensorflow as tf
from absl import logging

from tf_reconstruct.align import augment as augmentation, photo_align
from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.align.photo_align import signed_to_uint8
from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.metrics import verification
from tf_reconstruct.models import precision as precisions
from tf_reconstruct.optimize import losses, schedules, slot_queue
from tf_reconstruct.optimize import slots as slots_module
from tf_reconstruct.optimize.objective import embed_generated, latent_to_w_plus, make_objective  # noqa: F401 (API)
from tf_reconstruct.optimize.settings import INITIALISATIONS, EngineSettings, SettingsError
from tf_reconstruct.optimize.slot_queue import RESTART_RATE_FACTOR, overshot  # noqa: F401 (API)


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
      seconds: wall time of the optimisation, including the final renders.
      first_step_seconds: the part of `seconds` spent on the first step, which includes tracing.
      final_cosine: [B] cosine between f(align(g(w+*))) rendered at full resolution and the target, or None.
      images: [B, R, R, 3] uint8 full-resolution renders, or None.
      stopped_by: B of 'patience', 'cap' or 'success' (what ended each sample's last attempt).
    """
    w_plus: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    loss_curves: list
    seconds: float
    first_step_seconds: float = 0.0
    final_cosine: np.ndarray = None
    images: np.ndarray = None
    stopped_by: list = None


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
    if not np.issubdtype(targets.dtype, np.number):
        raise TemplateError(f"{name}: templates are {targets.dtype}, not numbers")
    bad = np.flatnonzero(~np.isfinite(targets).all(axis=1))
    if len(bad):
        raise TemplateError(f"{name}: {_rows(bad)} contain NaN or Inf; remove or re-extract them")
    zero = np.flatnonzero(np.linalg.norm(targets, axis=1) == 0)
    if len(zero):
        raise TemplateError(f"{name}: {_rows(zero)} are all zeros; remove or re-extract them")
    return targets.astype(np.float32)


def _rows(indices, shown=10):
    """'rows 3, 17 (2 of them)': the first `shown` bad row indices, and how many there are."""
    listed = ", ".join(str(int(index)) for index in indices[:shown])
    more = ", ..." if len(indices) > shown else ""
    return f"row{'s' if len(indices) > 1 else ''} {listed}{more} ({len(indices)} of them)"


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


def start_from_w_plus(generator, w_plus, truncation=1.0):
    """The w+ latent [B, num_ws, 512] that the restraint lerp(w_avg, latent, truncation) maps onto `w_plus`.

    A warm start (e.g. the Mapping baseline's prediction) is given as the w+ to render first; the engine
    optimises the unrestrained latent, so the restraint is inverted here.
    """
    w_plus = np.asarray(w_plus, np.float32)
    if truncation <= 0.0:
        raise ValueError("a warm start cannot be inverted through truncation 0 (every latent maps to w_avg)")
    w_avg = generator.w_avg.astype(np.float32)
    return w_avg + (w_plus - w_avg) / truncation


def render(generator, w_plus, resolution=None):
    """Renders w+ one sample at a time (bounded memory): -> uint8 [B, R, R, 3] and the [-1, 1] float images."""
    synthesis = generator.synthesis(resolution)
    images = [synthesis(w_plus[index:index + 1], training=False).numpy()[0] for index in range(len(w_plus))]
    return np.stack([signed_to_uint8(image) for image in images]), np.stack(images)


def rendered_cosine(generator, extractor, float_images, target):
    """Cosine between the attacker's embedding of a full-resolution render ([1, R, R, 3] in [-1, 1]), aligned by
    the fixed warp, and the template [D]: what a finished face scores on the attacked model."""
    embedding = extractor(warp_to_arcface(float_images, generator.landmarks), "signed").numpy()
    return float(verification.cosine_rows(embedding, np.asarray(target, np.float32)[None])[0])


@dataclasses.dataclass(frozen=True)
class Resume:
    """Where an interrupted run goes on: {index: in-flight state} from an earlier checkpoint, and that
    checkpoint's batch layout ({"size", "owner": template index per slot or -1, "pending": indices in order})
    or None. With the layout, the batch is rebuilt as it was and the run goes on bit for bit as the
    interrupted one would have (faces it finished after the checkpoint are finished again, for the caller
    to skip); the layout's slotted templates need their state, and its templates must be exactly the run's."""
    states: dict
    layout: dict = None


@dataclasses.dataclass(frozen=True)
class Checkpoints:
    """Every `every` evaluations (SGD only), save(states {index: in-flight state}, layout) gets the state of
    every sample still running and the batch's layout, so an interrupted run can go on mid-face."""
    every: int
    save: object


def reconstruct_stream(generator, extractor, targets, settings=None, *, starts=None, known_attempts=None,
                       resume=None, checkpoints=None, on_done=None, on_step=None, face_checker=None,
                       render_final=True, log_every=50):
    """Reconstructs faces from N templates, `settings.batch_size` at a time (see the module docstring for how
    slots are refilled); calls `on_done` per face.

    Args:
      generator, extractor: from models.registry.
      targets: [N, D] or [D] templates of `extractor` (raw, as a system stores them).
      settings: EngineSettings (optimize/settings.py); None is the paper's engine.
      starts: [N, num_ws, 512] w+ to start each template from (a warm start; space 'wplus' only) instead of
        `settings.init`.
      known_attempts: {index: (loss to rank it by, w+ [num_ws, 512], evaluations)} of samples whose first
        attempt has already run (ours' own run of the same template: this engine is deterministic, so
        running it again would repeat it). They begin at their first restart with it as the earlier attempt.
      resume: a Resume (SGD only): those samples go on from their saved state, first; exact in value for
        SGD, which has no state beyond the latent and the stopping counters.
      checkpoints: a Checkpoints (SGD only).
      on_done: called as on_done(SampleResult) when a template finishes (after its final render).
      on_step: called as on_step(live) after every step with the number of samples it evaluated.
      face_checker: with settings.face_check, what decides that a render holds a face (uint8 [R, R, 3] ->
        bool); default MTCNN at confidence 0.9, the detector of the simulated system
        (align.photo_align.has_face).
      render_final: render the best latents at full resolution and score them.
      log_every: evaluations between progress lines in the log (0: none).

    Returns:
      (list of SampleResult in template order, wall seconds, seconds of the first step including tracing).
    """
    settings = EngineSettings() if settings is None else settings
    targets = check_templates(targets, extractor.embedding_dim)
    known_attempts, resume = dict(known_attempts or {}), resume or Resume({})
    _check_run(settings, len(targets), known_attempts, resume, checkpoints)
    finisher = slot_queue.Finisher(
        to_w_plus=lambda latent: latent_to_w_plus(generator, tf.constant(latent), settings.space,
                                                  settings.truncation).numpy(),
        render=lambda w_plus: render(generator, w_plus),
        score=lambda float_images, index: rendered_cosine(generator, extractor, float_images, targets[index]),
        face_check=(face_checker or photo_align.has_face) if settings.face_check else None,
        render_final=render_final, on_done=on_done)
    queue = _queue(generator, extractor, targets, settings, _starts(generator, len(targets), settings, starts),
                   finisher, resume, known_attempts)
    started = time.time()
    first_step_seconds = None
    while queue.fill():
        queue.step()
        if on_step:
            on_step(queue.last_live)
        if first_step_seconds is None:
            first_step_seconds = time.time() - started
        if checkpoints and checkpoints.every and queue.evaluations % checkpoints.every == 0:
            checkpoints.save(*queue.checkpoint())
        if log_every and queue.evaluations % log_every == 0:
            logging.info(queue.progress())
    return queue.results, time.time() - started, first_step_seconds or 0.0


def _queue(generator, extractor, targets, settings, initial, finisher, resume, known_attempts):
    """The SlotQueue of this run: the objective of `settings` compiled into the slots' step, each template
    starting at `initial` [N, ...] (or where `resume` left it), and the earlier attempts it already has."""
    views = (tf.constant(augmentation.view_table(settings.steps, settings.augment_views, settings.augment,
                                                 settings.seed)) if settings.augment_views > 1 else None)
    objective = make_objective(generator, extractor, losses.LOSSES[settings.loss],
                               settings.resolution or generator.resolution, precisions.resolve(settings.precision),
                               settings.space, settings.truncation, views, settings.spread_penalty,
                               settings.anchor_penalty, settings.steps, cosine=bool(settings.success_cosine))
    step_body = slots_module.step_body(
        objective, lambda latent: latent_to_w_plus(generator, latent, settings.space, settings.truncation),
        settings.patience, settings.steps,
        (settings.success_cosine, settings.success_steps) if settings.success_cosine else None)

    def new_slots(size):
        return slots_module.Slots(size, initial.shape[1:], extractor.embedding_dim, settings.optimizer,
                                  settings.learning_rate, step_body, settings.compiled, settings.jit_compile)

    schedule_fn = {"constant": schedules.constant, "projector": schedules.projector_ramp}[settings.schedule]
    return slot_queue.SlotQueue(
        new_slots, initial, targets, batch_size=settings.batch_size, refill=settings.optimizer == "sgd",
        rate_at=lambda taken, attempt: (schedule_fn(taken, settings.steps, settings.learning_rate)
                                        * RESTART_RATE_FACTOR ** attempt),
        learning_rate=settings.learning_rate, restarts=settings.restarts, patience=settings.patience,
        finisher=finisher, resume=resume.states, layout=resume.layout,
        success_hold=settings.success_steps if settings.success_cosine else 0,
        earlier={index: (float(loss), start_from_w_plus(generator, w_plus, settings.truncation), int(spent))
                 for index, (loss, w_plus, spent) in known_attempts.items()})


def _check_run(settings, count, known_attempts, resume, checkpoints):
    """Raises SettingsError naming the first run option that these settings cannot honour."""
    if settings.coarse_scale > 1:
        raise SettingsError("coarse_scale is two runs of the engine, one per stage: use "
                            "optimize/coarse_to_fine.py (recipes.run does)")
    if known_attempts and (not settings.restarts or settings.space != "wplus"):
        raise SettingsError("known_attempts need restarts and space 'wplus' (they begin at the first restart)")
    if (resume.states or (checkpoints and checkpoints.every)) and settings.optimizer != "sgd":
        raise SettingsError("checkpoints and resume need optimizer 'sgd' (Adam's moments are not kept)")
    if any(not 0 <= index < count for index in resume.states):
        raise SettingsError(f"resume names template indices outside 0..{count - 1}: {sorted(resume.states)}")
    layout = resume.layout
    if layout is not None:
        placed = [index for index in layout["owner"] if index >= 0]
        if sorted(placed + list(layout["pending"])) != list(range(count)) or len(layout["owner"]) != layout["size"]:
            raise SettingsError("a layout must place every template once, in a slot or pending, in `size` slots")
        if any(index not in resume.states for index in placed):
            raise SettingsError("a layout's slotted templates need their in-flight state in `resume`")


def _starts(generator, count, settings, start_w_plus):
    """Each template's starting latent: the init's, or the warm start `start_w_plus` with the restraint inverted."""
    if start_w_plus is None:
        return initial_latent(generator, count, settings.space, settings.init, settings.seed)
    if settings.space != "wplus" or np.shape(start_w_plus) != (count, generator.num_ws, 512):
        raise SettingsError(f"warm starts must be [{count}, {generator.num_ws}, 512] with space 'wplus', got "
                            f"{np.shape(start_w_plus)} with space {settings.space!r}")
    return start_from_w_plus(generator, start_w_plus, settings.truncation)


def reconstruct(generator, extractor, targets, settings=None, *, render_final=True, log_every=50, **changes):
    """Reconstructs faces from templates [B, D] or [D], all in one batch unless the settings say otherwise.

    Args:
      generator, extractor: from models.registry.
      targets: [B, D] or [D] templates of `extractor` (raw, as a system stores them).
      settings: EngineSettings; None is the paper's engine with every template in one batch.
      render_final, log_every: as reconstruct_stream.
      changes: EngineSettings fields changed on top of `settings` (e.g. steps=6).

    Returns:
      ReconstructionResult.
    """
    count = len(check_templates(targets, extractor.embedding_dim))
    settings = (EngineSettings(batch_size=count) if settings is None else settings).replace(**changes)
    samples, seconds, first = reconstruct_stream(generator, extractor, targets, settings, render_final=render_final,
                                                 log_every=log_every)
    rendered = samples[0].image is not None
    return ReconstructionResult(
        w_plus=np.stack([sample.w_plus for sample in samples]), loss=np.array([sample.loss for sample in samples]),
        steps=np.array([sample.steps for sample in samples]), loss_curves=[sample.loss_curve for sample in samples],
        seconds=seconds, first_step_seconds=first,
        final_cosine=np.array([sample.final_cosine for sample in samples]) if rendered else None,
        images=np.stack([sample.image for sample in samples]) if rendered else None,
        stopped_by=[sample.stopped_by for sample in samples])
