"""Training the patent's network: alternating generator and PatchGAN steps, resumable, with progress.

    FaceFeatures(extractor, landmarks)(images [B, S, S, 3] in [-1, 1]) -> feature maps for the perceptual
        and style losses (the ImageNet VGG the papers use is not reachable here)
    train(data, out_dir, settings, features) -> {"step", "seconds", ...}; generator weights in out_dir
    load_generator(out_dir) -> the trained generator, or a clear error naming the training command
    read_losses(out_dir) -> {term: [steps] float array} from losses.csv, with "step"

Every batch is fixed by (seed, step): its faces, their hole masks (free-form or boxes, the hole-ratio
bin cycling 0-20, 20-40, 40-60%) and its order, so a resumed run sees what an uninterrupted one would.
A checkpoint of both networks, both optimizers and the step is written every `checkpoint_every` steps.
"""

import dataclasses
import json
import pathlib
import time

import numpy as np
import tensorflow as tf
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.errors import InputError, MissingCheckpointError
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.inpainting import losses, masks, parsing, patent_network

VARIANTS = {"full": {}, "no_region_norm": {"region_norm": False}, "global_style": {"global_style_only": True}}
# The attacker's MobileFaceNet layers whose maps feed the perceptual and style terms: 56, 28 and 14 px.
FEATURE_LAYERS = ("stem_conv_prelu", "block_0_4_residual", "block_2_3_residual")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    size: int = 256
    width: float = 1.0
    batch_size: int = 4
    steps: int = 20000
    learning_rate: float = 2e-4
    reconstruction_weight: float = 1.0
    perceptual_weight: float = 0.05    # Liu et al. 2018
    style_weight: float = 120.0        # Liu et al. 2018
    adversarial_weight: float = 0.1    # Yu et al. 2020 (region normalisation)
    variant: str = "full"
    seed: int = 0
    checkpoint_every: int = 200


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
    chosen = rng.choice(len(data["image"]), settings.batch_size, replace=False)
    images, holes, parsings = [], [], []
    for number, index in enumerate(chosen):
        image, labels = data["image"][index], data["labels"][index]
        if image.shape[0] != settings.size:
            image = tf.image.resize(image, (settings.size, settings.size), "area").numpy()
            labels = tf.image.resize(labels[..., None], (settings.size, settings.size), "nearest").numpy()[..., 0]
        low, high = masks.BINS[(step * settings.batch_size + number) % len(masks.BINS)]
        kind = "free_form" if rng.random() < 0.5 else "boxes"
        hole, _ = masks.mask_in_bin(settings.size, int(rng.integers(2 ** 31)), low, high, kind)
        images.append(np.asarray(image, np.float32) / 127.5 - 1.0)
        holes.append(hole[..., None].astype(np.float32))
        parsings.append(parsing.one_hot(labels.astype(np.int64)))
    return np.stack(images), np.stack(holes), np.stack(parsings)


def _models(settings):
    regions = len(parsing.REGIONS)
    generator = patent_network.build_generator(settings.size, regions, settings.width, **VARIANTS[settings.variant])
    discriminator = patent_network.build_discriminator(settings.size, settings.width)
    return generator, discriminator


def train(data, out_dir, settings, features, progress=True):
    """Trains (or resumes) into `out_dir`; returns the run's summary (also in out_dir/training.json)."""
    if settings.variant not in VARIANTS:
        raise ValueError(f"unknown variant {settings.variant!r}; choose from {', '.join(VARIANTS)}")
    out_dir = pathlib.Path(out_dir)
    _keep_settings(out_dir, settings)
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

    log_file = out_dir / "losses.csv"
    rows = log_file.read_text().splitlines() if log_file.is_file() else []
    started, first = time.time(), int(step)
    summary_file = out_dir / "training.json"
    timed_before = _timed_so_far(summary_file, first)

    def write_summary():
        """The budget so far, rewritten at every checkpoint so that an interrupted run keeps its timing."""
        seconds = time.time() - started
        summary = {"steps": int(step), "steps_this_run": int(step) - first, "seconds_this_run": seconds,
                   "timed_steps": timed_before[0] + int(step) - first, "timed_seconds": timed_before[1] + seconds,
                   "faces_seen": int(step) * settings.batch_size, "training_faces": int(len(data["image"])),
                   "settings": dataclasses.asdict(settings)}
        atomic_files.write_text(summary_file, json.dumps(summary, indent=1))
        return summary

    bar = tqdm(range(first, settings.steps), desc=f"training {settings.variant}", unit="step", disable=not progress)
    for current in bar:
        values = train_step(*(tf.constant(part) for part in make_batch(data, current, settings)))
        step.assign(current + 1)
        values = {key: float(value) for key, value in values.items()}
        if not rows:
            rows.append("step," + ",".join(values))
        rows.append(f"{current + 1}," + ",".join(f"{value:.6g}" for value in values.values()))
        bar.set_postfix(generator=f"{values['generator']:.3f}", l1=f"{values['reconstruction']:.3f}")
        if (current + 1) % settings.checkpoint_every == 0 or current + 1 == settings.steps:
            manager.save()
            write_summary()
            atomic_files.write_text(log_file, "\n".join(rows) + "\n")
    generator.save_weights(str(out_dir / "generator.weights.h5"))
    return write_summary()


def _keep_settings(out_dir, settings):
    """Writes the run's settings to out_dir/settings.json, refusing a folder trained with others (but for the
    step budget, which a resumed run may raise)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings_file = out_dir / "settings.json"
    if settings_file.is_file() and json.loads(settings_file.read_text()) != dataclasses.asdict(settings):
        old = json.loads(settings_file.read_text())
        changed = [key for key, value in dataclasses.asdict(settings).items() if old.get(key) != value and key != "steps"]
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
