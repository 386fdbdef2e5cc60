"""The paper's reconstruction (its section 1): w+* = argmin_w+ loss(f(align(g(w+))), V), by SGD at lr 0.1.

    reconstruct(generator, extractor, targets [B, D]) -> ReconstructionResult
    reconstruct_stream(generator, extractor, targets [N, D], batch_size, on_done=...) -> [SampleResult]

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
from tf_reconstruct.optimize.slot_queue import RESTART_RATE_FACTOR, overshot  # noqa: F401 (API)

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
      seconds: wall time of the optimisation, including the final renders.
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


def reconstruct_stream(generator, extractor, targets, *, batch_size=8, steps=2000, patience=50, learning_rate=0.1,
                       optimizer="sgd", schedule="constant", space="wplus", init="mean", loss="mse",
                       resolution=None, seed=0, truncation=1.0, precision="float32", render_final=True,
                       compiled=True, jit_compile=False, on_done=None, log_every=50, start_w_plus=None,
                       restarts=0, face_check=None, known_attempts=None, resume=None, on_checkpoint=None,
                       checkpoint_every=0, augment=0.0, augment_views=1, spread_penalty=0.0, anchor_penalty=0.0,
                       layout=None):
    """Reconstructs faces from N templates, `batch_size` at a time; yields nothing, calls `on_done` per face.

    With SGD a slot whose sample stops is refilled at once with the next template (the batch stays full of
    live work), and once no template is waiting the batch is compacted to the next power of two above
    the live count, so a slow straggler does not pay for a full batch. SGD has no state and each sample
    keeps its own schedule step, so a sample's path does not depend on its neighbours or its slot; in
    floating point it does depend on the batch's shape (measured: BUILD_NOTES.md). So a run is bit-exact
    when it is repeated whole, or resumed with the `layout` of its last checkpoint, which rebuilds the batch
    as it was and replays it from there.
    Adam's moments and step count are per optimizer, so with Adam templates run in groups of
    `batch_size` that start together, and finished samples are masked until the group ends.

    Args: as `reconstruct`, plus
      batch_size: slots optimised together.
      on_done: called as on_done(SampleResult) when a template finishes (after its final render).
      start_w_plus: [N, num_ws, 512] w+ to start each template from (a warm start; space 'wplus' only)
        instead of `init`.
      restarts: beyond the paper (0 is its engine): how many times a sample whose first steps overshot
        (`overshot`) starts again from its start with the step times RESTART_RATE_FACTOR; SGD only. Each
        attempt has the full step cap; the sample keeps the best latent of all its attempts.
      face_check: with `restarts`, also restart a sample whose best latent renders (at full resolution) to an
        image where face_check(uint8 [R, R, 3]) is False, e.g. a texture that matches the template through
        the fixed warp but holds no face a system's detector finds. True: MTCNN at confidence 0.9, the
        detector of the simulated system (align.photo_align.has_face). An attempt that failed the check
        ranks below any later one.
      known_attempts: {index: (loss to rank it by, w+ [num_ws, 512], evaluations)} of samples whose first
        attempt has already run (ours' own run of the same template: this engine is deterministic, so
        running it again would repeat it). They begin at their first restart with it as the earlier attempt.
      on_checkpoint, checkpoint_every: SGD only; every `checkpoint_every` evaluations, on_checkpoint({index:
        in-flight state}, layout) gets the state of every sample still running (`in_flight_state`) and the
        batch's layout ({"size", "owner": template index per slot or -1, "pending": indices in order}), so
        an interrupted run can go on mid-face instead of starting its running faces again.
      resume: {index: in-flight state} from an earlier on_checkpoint; those samples go on from there, first.
        Exact in value for SGD, which has no state beyond the latent and the stopping counters.
      layout: that checkpoint's layout, with `resume` holding every sample it places in a slot and the
        templates being exactly its slots' and pending ones: the batch is rebuilt as it was, so the run goes
        on bit for bit as the interrupted one would have (faces it finished after the checkpoint are
        finished again, for the caller to skip).
      augment, augment_views: beyond the paper (0 and 1 are its engine): expectation over transformations.
        The gradient is the mean loss over `augment_views` views of the generated face (view 0 the fixed
        warp, the others shifted, scaled, rotated and mirrored with `augment` as their strength, see
        align/augment.py); stopping and the best latent still follow the fixed warp's loss.
      spread_penalty, anchor_penalty: beyond the paper (0 is its engine): weights of the penalties of
        optimize/regularizers.py on the rendered w+, the spread of its rows (towards W) and its distance
        from the sample's start (after a warm start), added to the loss that is minimised and tracked.

    Returns:
      (list of SampleResult in template order, wall seconds, seconds of the first step including tracing).
    """
    resolution = resolution or generator.resolution
    precision = precisions.resolve(precision)
    targets = check_templates(targets, extractor.embedding_dim)
    count = len(targets)
    known_attempts, resume = dict(known_attempts or {}), dict(resume or {})
    _check_options(space, optimizer, loss, truncation, restarts, known_attempts, resume, checkpoint_every, count,
                   augment, augment_views, spread_penalty, anchor_penalty, layout)
    starts = _starts(generator, count, space, init, seed, start_w_plus, truncation)
    schedule_fn = {"constant": schedules.constant, "projector": schedules.projector_ramp}[schedule]
    views = (tf.constant(augmentation.view_table(steps, augment_views, augment, seed))
             if augment_views > 1 else None)
    objective = make_objective(generator, extractor, losses.LOSSES[loss], resolution, precision, space, truncation,
                               views, spread_penalty, anchor_penalty, steps)
    step_body = slots_module.step_body(objective, lambda latent: latent_to_w_plus(generator, latent, space, truncation),
                                       patience, steps)

    def new_slots(size):
        return slots_module.Slots(size, starts.shape[1:], extractor.embedding_dim, optimizer, learning_rate, step_body,
                                  compiled, jit_compile)

    finisher = slot_queue.Finisher(
        to_w_plus=lambda latent: latent_to_w_plus(generator, tf.constant(latent), space, truncation).numpy(),
        render=lambda w_plus: render(generator, w_plus),
        score=lambda float_images, index: rendered_cosine(generator, extractor, float_images, targets[index]),
        face_check=photo_align.has_face if face_check is True else (face_check or None),
        render_final=render_final, on_done=on_done)
    queue = slot_queue.SlotQueue(
        new_slots, starts, targets, batch_size=batch_size, refill=optimizer == "sgd",
        rate_at=lambda taken, attempt: schedule_fn(taken, steps, learning_rate) * RESTART_RATE_FACTOR ** attempt,
        learning_rate=learning_rate, restarts=restarts, patience=patience, finisher=finisher, resume=resume,
        layout=layout, earlier={index: (float(loss), start_from_w_plus(generator, w_plus, truncation), int(spent))
                                for index, (loss, w_plus, spent) in known_attempts.items()})
    started = time.time()
    first_step_seconds = None
    while queue.fill():
        queue.step()
        if first_step_seconds is None:
            first_step_seconds = time.time() - started
        if on_checkpoint and checkpoint_every and queue.evaluations % checkpoint_every == 0:
            on_checkpoint(*queue.checkpoint())
        if log_every and queue.evaluations % log_every == 0:
            logging.info(queue.progress())
    return queue.results, time.time() - started, first_step_seconds or 0.0


def _check_options(space, optimizer, loss, truncation, restarts, known_attempts, resume, checkpoint_every, count,
                   augment, augment_views, spread_penalty, anchor_penalty, layout=None):
    """Raises ValueError naming the first engine option that cannot be honoured."""
    if not 0.0 <= truncation <= 1.0:
        raise ValueError(f"truncation (the lerp weight) must be in [0, 1], not {truncation}")
    if space not in SPACES or optimizer not in OPTIMIZERS or loss not in losses.LOSSES:
        raise ValueError(f"space in {SPACES}, optimizer in {OPTIMIZERS}, loss in {sorted(losses.LOSSES)}")
    if restarts and optimizer != "sgd":
        raise ValueError("restarts need optimizer 'sgd' (a restarted sample needs its own step size)")
    if known_attempts and (not restarts or space != "wplus"):
        raise ValueError("known_attempts need restarts and space 'wplus' (they begin at the first restart)")
    if (resume or checkpoint_every) and optimizer != "sgd":
        raise ValueError("checkpoints and resume need optimizer 'sgd' (Adam's moments are not kept)")
    if any(not 0 <= index < count for index in resume):
        raise ValueError(f"resume names template indices outside 0..{count - 1}: {sorted(resume)}")
    if layout is not None:
        placed = [index for index in layout["owner"] if index >= 0]
        if sorted(placed + list(layout["pending"])) != list(range(count)) or len(layout["owner"]) != layout["size"]:
            raise ValueError("a layout must place every template once, in a slot or pending, in `size` slots")
        if any(index not in resume for index in placed):
            raise ValueError("a layout's slotted templates need their in-flight state in `resume`")
    if augment < 0 or augment_views < 1 or spread_penalty < 0 or anchor_penalty < 0:
        raise ValueError(f"augment, spread_penalty and anchor_penalty must be >= 0 and augment_views >= 1, got "
                         f"{augment}, {spread_penalty}, {anchor_penalty} and {augment_views}")


def _starts(generator, count, space, init, seed, start_w_plus, truncation):
    """Each template's starting latent: `init`'s, or the warm start `start_w_plus` with the restraint inverted."""
    if start_w_plus is None:
        return initial_latent(generator, count, space, init, seed)
    if space != "wplus" or np.shape(start_w_plus) != (count, generator.num_ws, 512):
        raise ValueError(f"start_w_plus must be [{count}, {generator.num_ws}, 512] with space 'wplus', got "
                         f"{np.shape(start_w_plus)} with space {space!r}")
    return start_from_w_plus(generator, start_w_plus, truncation)


def reconstruct(generator, extractor, targets, *, batch_size=None, **settings):
    """Reconstructs faces from templates [B, D] or [D], all in one batch by default.

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
      precision: what the generator and extractor compute in during the optimisation, 'float32',
        'bfloat16' or 'auto' (bfloat16 where the CPU has it natively); the latent, loss and optimizer are
        float32, and the final render and score are float32.
      render_final: render the best latents at full resolution and score them.
      compiled: run the step as a tf.function (False: eagerly, the benchmark's naive baseline).
      jit_compile: compile the step with XLA (it cannot compile here: the warp has no XLA kernel; see
        experiments/bench).
      batch_size: slots (see reconstruct_stream); default all templates at once.
      restarts: beyond the paper, restarts after an early overshoot (see reconstruct_stream); 0 is the paper's.

    Returns:
      ReconstructionResult.
    """
    count = len(check_templates(targets, extractor.embedding_dim))
    samples, seconds, first = reconstruct_stream(generator, extractor, targets, batch_size=batch_size or count,
                                                 **settings)
    rendered = samples[0].image is not None
    return ReconstructionResult(
        w_plus=np.stack([sample.w_plus for sample in samples]), loss=np.array([sample.loss for sample in samples]),
        steps=np.array([sample.steps for sample in samples]), loss_curves=[sample.loss_curve for sample in samples],
        seconds=seconds, first_step_seconds=first,
        final_cosine=np.array([sample.final_cosine for sample in samples]) if rendered else None,
        images=np.stack([sample.image for sample in samples]) if rendered else None)
