"""Training the patent's network: alternating generator and PatchGAN steps, resumable, with progress.

    FaceFeatures(extractor, landmarks)(images [B, S, S, 3] in [-1, 1]) -> feature maps for the perceptual
        and style losses (the ImageNet VGG the papers use is not reachable here)
    train(data, out_dir, settings, features, validation) -> {"steps", "best_step", ...}; weights in out_dir
    validation_set(data, size, seed) -> the held-out faces with fixed holes; validation_l1(generator, them)
    telea_l1(validation) -> the same measure for OpenCV's Telea fill, the anchor
    load_generator(out_dir) -> the trained generator, or a clear error naming the training command
    read_losses(out_dir) -> {term: [steps] float array} from losses.csv, with "step"

Every batch is fixed by (seed, step): its faces (real photos drawn with probability real_fraction when the
data holds both kinds), their colour, light and mirror jitter (inpainting/augment.py), their hole masks
(free-form or boxes, the hole-ratio bin cycling 0-20, 20-40, 40-60%) and its order, so a resumed run sees
what an uninterrupted one would. Every `checkpoint_every` steps a checkpoint of both networks, both
optimizers and the step is written and, given validation faces, their hole L1 is measured: training stops
once `patience` validations in a row have not lowered it (inpainting/early_stopping.py), and the weights
kept (generator.weights.h5) are those of the best validation.
"""

import dataclasses
import json
import pathlib
import time

import cv2
import numpy as np
import tensorflow as tf
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.align import photo_align
from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.errors import InputError, MissingCheckpointError
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.inpainting import augment, classical, early_stopping, losses, masks, parsing, patent_network

VARIANTS = {"full": {}, "no_region_norm": {"region_norm": False}, "global_style": {"global_style_only": True}}
# The attacker's MobileFaceNet layers whose maps feed the perceptual and style terms: 56, 28 and 14 px.
FEATURE_LAYERS = ("stem_conv_prelu", "block_0_4_residual", "block_2_3_residual")
# The style term's weight: Liu et al.'s 120 (set for VGG features) made the Gram term ~90% of the generator's
# loss here (120 x 0.084 against L1 0.22 at 1,700 steps); "rebalanced" puts it level with the L1 term.
STYLE_WEIGHTS = {"liu2018": 120.0, "rebalanced": 3.0}
RESUMABLE_CHANGES = ("steps", "patience")   # settings a resumed run may change


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    size: int = 256
    width: float = 1.0
    batch_size: int = 4
    steps: int = 20000
    learning_rate: float = 2e-4
    reconstruction_weight: float = 1.0
    perceptual_weight: float = 0.05    # Liu et al. 2018
    style_weight: float = STYLE_WEIGHTS["liu2018"]
    adversarial_weight: float = 0.1    # Yu et al. 2020 (region normalisation)
    variant: str = "full"
    seed: int = 0
    checkpoint_every: int = 200        # also the steps between validations
    real_fraction: float = 0.75        # the chance that a batch's face is a real photo, when data holds both kinds
    augment: bool = True               # colour, light and mirror jitter of every training face
    patience: int = 5                  # validations without a lower hole L1 before training stops


class FaceFeatures:
    """Maps of FEATURE_LAYERS of a face network on the ArcFace crop warped from the generator frame."""

    def __init__(self, extractor, landmarks, layers=FEATURE_LAYERS):
        model = extractor.model
        self.model = tf.keras.Model(model.inputs, [model.get_layer(name).output for name in layers])
        self.model.trainable = False
        self.landmarks = landmarks

    def __call__(self, images):
        faces = warp_to_arcface(images, self.landmarks)
        return self.model((faces + 1.0) * 127.5, training=False)


def make_batch(data, step, settings):
    """(images [B, S, S, 3] in [-1, 1], holes [B, S, S, 1], parsing [B, S, S, regions]) of `step`."""
    rng = np.random.default_rng([settings.seed, step])
    chosen = _draw_faces(data, rng, settings)
    images, holes, parsings = [], [], []
    for number, index in enumerate(chosen):
        image, labels = data["image"][index], data["labels"][index]
        if image.shape[0] != settings.size:
            image, labels = _resized(image, labels, settings.size)
        low, high = masks.BINS[(step * settings.batch_size + number) % len(masks.BINS)]
        kind = "free_form" if rng.random() < 0.5 else "boxes"
        hole, _ = masks.mask_in_bin(settings.size, int(rng.integers(2 ** 31)), low, high, kind)
        jitter = augment.draw(rng) if settings.augment else augment.IDENTITY
        image, labels = augment.apply(np.asarray(image, np.float32) / 127.5 - 1.0, labels, jitter)
        images.append(image)
        holes.append(hole[..., None].astype(np.float32))
        parsings.append(parsing.one_hot(labels.astype(np.int64)))
    return np.stack(images), np.stack(holes), np.stack(parsings)


def _draw_faces(data, rng, settings):
    """The batch's face indices: real photos ("real" [N] bool in data) drawn with total chance real_fraction."""
    count, real = len(data["image"]), data.get("real")
    if real is None or real.all() or not real.any():
        return rng.choice(count, settings.batch_size, replace=False)
    weights = np.where(real, settings.real_fraction / real.sum(), (1.0 - settings.real_fraction) / (~real).sum())
    return rng.choice(count, settings.batch_size, replace=False, p=weights / weights.sum())


def _resized(image, labels, size):
    image = cv2.resize(np.asarray(image), (size, size), interpolation=cv2.INTER_AREA)
    return image, cv2.resize(np.asarray(labels, np.uint8), (size, size), interpolation=cv2.INTER_NEAREST)


def at_size(data, size):
    """The data with every face and parsing resized to `size` once (not at every step)."""
    if data["image"].shape[1] == size:
        return data
    pairs = [_resized(image, labels, size) for image, labels in zip(data["image"], data["labels"])]
    return {**data, "image": np.stack([p[0] for p in pairs]), "labels": np.stack([p[1] for p in pairs])}


def validation_set(data, size, seed=1):
    """(images [N, S, S, 3] in [-1, 1], holes [N, S, S, 1], parsings [N, S, S, regions]) of the held-out faces,
    face i with a fixed hole in bin i mod 3 (free-form strokes for even i, boxes for odd i) drawn from
    seed * 100003 + i, as the test set's holes are (from seed 0)."""
    data = at_size(data, size)
    holes = [masks.fixed_hole(size, seed, index)[0] for index in range(len(data["image"]))]
    return (data["image"].astype(np.float32) / 127.5 - 1.0, np.stack(holes)[..., None].astype(np.float32),
            np.stack([parsing.one_hot(labels.astype(np.int64)) for labels in data["labels"]]))


def telea_l1(validation):
    """validation_l1's measure for OpenCV's Telea fill of the same holes: the anchor a network must beat."""
    images, holes, _ = validation
    filled = np.stack([classical.fill(photo_align.signed_to_uint8(image * (1.0 - hole)), hole[..., 0])
                       for image, hole in zip(images, holes)]).astype(np.float32) / 127.5 - 1.0
    return float(np.mean(hole_l1(filled, images, holes)))


def hole_l1(output, images, holes):
    """[B] each face's mean absolute error in its hole ([-1, 1] units) of `output` against `images`."""
    return (np.abs(output - images) * holes).sum(axis=(1, 2, 3)) / (holes.sum(axis=(1, 2, 3)) * images.shape[-1])


def validation_l1(generator, validation, chunk=16):
    """Mean over the validation faces of the mean absolute error in their hole ([-1, 1] units)."""
    images, holes, parsings = validation
    errors = []
    for start in range(0, len(images), chunk):
        part = slice(start, start + chunk)
        output = generator([images[part] * (1.0 - holes[part]), holes[part], parsings[part]], training=False).numpy()
        errors.append(hole_l1(output, images[part], holes[part]))
    return float(np.mean(np.concatenate(errors)))


def _models(settings):
    regions = len(parsing.REGIONS)
    generator = patent_network.build_generator(settings.size, regions, settings.width, **VARIANTS[settings.variant])
    discriminator = patent_network.build_discriminator(settings.size, settings.width)
    return generator, discriminator


def train(data, out_dir, settings, features, validation=None, progress=True):
    """Trains (or resumes) into `out_dir`, stopping early on `validation` (validation_set's faces) when given;
    returns the run's summary (also in out_dir/training.json)."""
    if settings.variant not in VARIANTS:
        raise ValueError(f"unknown variant {settings.variant!r}; choose from {', '.join(VARIANTS)}")
    out_dir = pathlib.Path(out_dir)
    _keep_settings(out_dir, settings)
    data = at_size(data, settings.size)
    # The initial weights come from the seed too, not from whatever ran before in this process.
    tf.keras.utils.set_random_seed(settings.seed)
    generator, discriminator = _models(settings)
    g_optimizer = tf.keras.optimizers.Adam(settings.learning_rate, beta_1=0.5, beta_2=0.999)
    d_optimizer = tf.keras.optimizers.Adam(settings.learning_rate, beta_1=0.5, beta_2=0.999)
    step = tf.Variable(0, dtype=tf.int64)
    checkpoint = tf.train.Checkpoint(generator=generator, discriminator=discriminator, g_optimizer=g_optimizer,
                                     d_optimizer=d_optimizer, step=step)
    manager = tf.train.CheckpointManager(checkpoint, out_dir / "checkpoints", max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint)
        logging.info("resuming %s at step %d", out_dir, int(step))
    train_step = _train_step(generator, discriminator, g_optimizer, d_optimizer, features, settings)
    log = _Log(out_dir, int(step), settings, len(data["image"]), int(np.sum(data.get("real", 0))))
    judged = early_stopping.verdict(log.history, settings.patience)
    if validation is not None and judged.stop:
        logging.info("%s stopped early at step %d (best validation at %d)", out_dir, int(step), judged.best_step)
        return log.finish(generator, judged, validation is not None)
    bar = tqdm(range(int(step), settings.steps), desc=f"training {settings.variant}", unit="step",
               disable=not progress)
    for current in bar:
        values = train_step(*(tf.constant(part) for part in make_batch(data, current, settings)))
        step.assign(current + 1)
        log.add(current + 1, {key: float(value) for key, value in values.items()})
        bar.set_postfix(l1=f"{float(values['reconstruction']):.3f}", best=f"{judged.best_value:.4f}")
        if (current + 1) % settings.checkpoint_every == 0 or current + 1 == settings.steps:
            manager.save()
            if validation is not None:
                log.history.append((current + 1, validation_l1(generator, validation)))
                judged = early_stopping.verdict(log.history, settings.patience)
                if judged.best_step == current + 1:
                    with atomic_files.replacing(out_dir / "best.weights.h5") as temporary:
                        generator.save_weights(str(temporary))
            log.save(judged)
            if validation is not None and judged.stop:
                break
    return log.finish(generator, judged, validation is not None)


class _Log:
    """losses.csv, validation.csv and training.json of a run: what resumes it and what its report reads."""

    def __init__(self, out_dir, first, settings, faces, real_faces):
        self.out_dir, self.first, self.settings, self.faces, self.real_faces = out_dir, first, settings, faces, real_faces
        self.started = time.time()
        log_file = out_dir / "losses.csv"
        # Rows past the restored checkpoint belong to a run that died before its next checkpoint.
        self.rows = [row for row in (log_file.read_text().splitlines() if log_file.is_file() else [])
                     if row.startswith("step") or int(row.split(",")[0]) <= first]
        logged = report_files.read_csv(out_dir / "validation.csv")
        self.history = [(int(row["step"]), float(row["hole_l1"])) for row in logged if int(row["step"]) <= first]
        self.timed_before = _timed_so_far(out_dir / "training.json", first)
        self.step = first

    def add(self, step, values):
        if not self.rows:
            self.rows.append("step," + ",".join(values))
        self.rows.append(f"{step}," + ",".join(f"{value:.6g}" for value in values.values()))
        self.step = step

    def save(self, judged):
        """Rewritten at every checkpoint, so that an interrupted run keeps its losses and timing."""
        atomic_files.write_text(self.out_dir / "losses.csv", "\n".join(self.rows) + "\n")
        atomic_files.write_text(self.out_dir / "validation.csv",
                                "step,hole_l1\n" + "".join(f"{s},{v:.6g}\n" for s, v in self.history))
        seconds = time.time() - self.started
        summary = {"steps": self.step, "steps_this_run": self.step - self.first, "seconds_this_run": seconds,
                   "timed_steps": self.timed_before[0] + self.step - self.first,
                   "timed_seconds": self.timed_before[1] + seconds, "faces_seen": self.step * self.settings.batch_size,
                   "training_faces": self.faces, "real_training_faces": self.real_faces,
                   "validations": len(self.history),
                   "best_step": judged.best_step if self.history else None,
                   "best_validation_hole_l1": judged.best_value if self.history else None,
                   "stopped_early": bool(self.history) and judged.stop,
                   "settings": dataclasses.asdict(self.settings)}
        atomic_files.write_text(self.out_dir / "training.json", json.dumps(summary, indent=1))
        return summary

    def finish(self, generator, judged, validated):
        """Writes generator.weights.h5: the best validation's weights when validated, else the last."""
        best = self.out_dir / "best.weights.h5"
        with atomic_files.replacing(self.out_dir / "generator.weights.h5") as temporary:
            if validated and best.is_file():
                pathlib.Path(temporary).write_bytes(best.read_bytes())
            else:
                generator.save_weights(str(temporary))
        return self.save(judged)


def _keep_settings(out_dir, settings):
    """Writes the run's settings to out_dir/settings.json, refusing a folder trained with others (but for the
    step budget and the patience, which only say when it stops)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings_file = out_dir / "settings.json"
    if settings_file.is_file() and json.loads(settings_file.read_text()) != dataclasses.asdict(settings):
        old = json.loads(settings_file.read_text())
        changed = [key for key, value in dataclasses.asdict(settings).items()
                   if old.get(key) != value and key not in RESUMABLE_CHANGES]
        if changed:
            raise InputError(f"{out_dir} was trained with other settings ({', '.join(changed)}); use another --out_dir")
    atomic_files.write_text(settings_file, json.dumps(dataclasses.asdict(settings), indent=1))


def _train_step(generator, discriminator, g_optimizer, d_optimizer, features, settings):
    """The compiled step: (images, holes, parsings) -> {loss term: value}; updates both networks."""
    @tf.function
    def train_step(images, holes, parsings):
        masked = images * (1.0 - holes)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            output = generator([masked, holes, parsings], training=True)
            composite = holes * output + (1.0 - holes) * images
            real_logits = discriminator(images, training=True)
            fake_logits = discriminator(composite, training=True)
            out_features, real_features = features(composite), features(images)
            terms = {"reconstruction": losses.reconstruction(output, images, holes),
                     "perceptual": losses.perceptual(out_features, real_features),
                     "style": losses.style(out_features, real_features),
                     "adversarial": losses.generator_adversarial(real_logits, fake_logits)}
            g_loss = (settings.reconstruction_weight * terms["reconstruction"]
                      + settings.perceptual_weight * terms["perceptual"] + settings.style_weight * terms["style"]
                      + settings.adversarial_weight * terms["adversarial"])
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
        g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, generator.trainable_variables),
                                        generator.trainable_variables))
        d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, discriminator.trainable_variables),
                                        discriminator.trainable_variables))
        return {**terms, "generator": g_loss, "discriminator": d_loss}
    return train_step


def _timed_so_far(summary_file, first):
    """(steps, seconds) that earlier runs of this training timed, as of their last checkpoint's summary. Steps
    trained with no summary behind them count as untimed: timed_steps < steps says so, and seconds per step
    stays honest."""
    if first == 0 or not summary_file.is_file():
        return 0, 0.0
    previous = json.loads(summary_file.read_text())
    if previous["steps"] > first:   # a summary from beyond the restored checkpoint belongs to another history
        return 0, 0.0
    return (previous.get("timed_steps", previous["steps_this_run"]),
            previous.get("timed_seconds", previous["seconds_this_run"]))


def load_generator(out_dir):
    """The trained generator of `out_dir` (its settings.json and generator.weights.h5)."""
    out_dir = pathlib.Path(out_dir)
    weights, settings_file = out_dir / "generator.weights.h5", out_dir / "settings.json"
    if not weights.is_file() or not settings_file.is_file():
        raise MissingCheckpointError(f"no trained inpainting network in {out_dir}: train it with "
                                     f"`python -m tf_reconstruct.train_inpainting` (its weights stay out of git)")
    settings = TrainSettings(**json.loads(settings_file.read_text()))
    generator, _ = _models(settings)
    generator.load_weights(str(weights))
    return generator, settings


def read_losses(out_dir):
    """The loss log of `out_dir` as {column: array over steps} ("step", each term, "generator", ...)."""
    rows = report_files.read_csv(pathlib.Path(out_dir) / "losses.csv")
    return {name: np.array([row[name] for row in rows], np.float64) for name in rows[0]}
