"""The NbNet baseline (Mai et al., TPAMI 2018): a neighbourly de-convolutional decoder, template -> face.

    build_nbnet(D): template [B, D] -> face [B, 160, 160, 3] in [-1, 1]

Dense -> 5x5x256, then five neighbourly blocks, each doubling the side (5 -> 160). A block makes half
its C output maps by up-sampling and a 3x3 convolution, and each of three further 3x3 convolutions adds a
sixth, computed from all the maps made so far in the block (the "neighbourly" dense connections of
NbNet-A); batch norm and ReLU follow each convolution, and a 3x3 convolution with tanh makes the image.
Choices that differ from the paper, and why:
  - nearest up-sampling + convolution in place of the transposed convolution: the transposed version
    learnt tiled, checkerboard textures in its first epoch;
  - widths 192-96-48-24-12 (divisible by 6, 2.2 M parameters), so an epoch of 20,000 faces fits a CPU.
Trained on generated pairs (training_pairs.py) with the pixel MSE plus `feature_weight` x (1 - cosine)
between the attacker's embedding of the output's centre 112x112 and the template, as Mai et al. train
with a perceptual/feature loss on GAN-synthesised faces.
"""

import json
import pathlib
import time

import numpy as np
import tensorflow as tf
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.baselines.training_pairs import centre_crop
from tf_reconstruct.errors import CheckpointFormatError, MissingCheckpointError

keras = tf.keras
WIDTHS = (192, 96, 48, 24, 12)
START_SIDE = 5
MARGIN = 24


class NeighbourlyBlock(keras.layers.Layer):
    """[B, H, W, C_in] -> [B, 2H, 2W, C]: C/2 up-sampled maps, then 3 convolutions of C/6 maps on all before."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        if channels % 6:
            raise ValueError(f"a neighbourly block's width must be divisible by 6, not {channels}")
        self.channels = channels
        self.up = keras.layers.UpSampling2D(2, interpolation="nearest")
        self.convs = [keras.layers.Conv2D(channels // 2, 3, padding="same", use_bias=False)]
        self.convs += [keras.layers.Conv2D(channels // 6, 3, padding="same", use_bias=False) for _ in range(3)]
        self.norms = [keras.layers.BatchNormalization(momentum=0.9) for _ in self.convs]

    def call(self, inputs, training=False):
        maps = tf.nn.relu(self.norms[0](self.convs[0](self.up(inputs)), training=training))
        for conv, norm in zip(self.convs[1:], self.norms[1:]):
            maps = tf.concat([maps, tf.nn.relu(norm(conv(maps), training=training))], axis=-1)
        return maps

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def build_nbnet(embedding_dim, widths=WIDTHS):
    """templates [B, D] -> faces [B, 5 * 2^len(widths), ., 3] in [-1, 1] (160x160 with the default widths)."""
    templates = keras.Input((embedding_dim,), name="template")
    x = keras.layers.UnitNormalization(name="l2_normalise")(templates)
    x = keras.layers.Dense(START_SIDE * START_SIDE * 256, name="project")(x)
    x = keras.layers.Reshape((START_SIDE, START_SIDE, 256))(x)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(momentum=0.9, name="project_norm")(x))
    for index, width in enumerate(widths):
        x = NeighbourlyBlock(width, name=f"block_{index}")(x)
    faces = keras.layers.Conv2D(3, 3, padding="same", activation="tanh", name="to_rgb")(x)
    return keras.Model(templates, faces, name="nbnet")


def nbnet_files(directory):
    stem = pathlib.Path(directory) / "nbnet"
    return stem.with_suffix(".json"), stem.with_name("nbnet.weights.h5")


def save_nbnet(model, directory, meta):
    meta_file, weights_file = nbnet_files(pathlib.Path(directory))
    with atomic_files.replacing(weights_file) as temporary:
        model.save_weights(str(temporary))
    atomic_files.write_text(meta_file, json.dumps(meta))


def load_nbnet(directory, extractor_name=None):
    """(Keras model, meta) of the trained NbNet in `directory`; clear errors when missing, corrupt or mismatched."""
    meta_file, weights_file = nbnet_files(directory)
    if not meta_file.is_file() or not weights_file.is_file():
        raise MissingCheckpointError(f"no trained NbNet in {directory}: run `python -m tf_reconstruct.train_baselines`")
    try:
        meta = json.loads(meta_file.read_text())
        model = build_nbnet(meta["embedding_dim"])
        model.load_weights(str(weights_file))
    except (ValueError, KeyError, OSError) as error:
        raise CheckpointFormatError(f"{weights_file} (or its .json) is corrupt or does not fit NbNet ({error}); "
                                    f"delete both and train again") from error
    if extractor_name and meta["extractor"] != extractor_name:
        raise CheckpointFormatError(f"{meta_file} decodes templates of {meta['extractor']}, not {extractor_name}: "
                                    f"train an NbNet for {extractor_name}")
    return model, meta


def generate_faces(model, templates, batch_size=64):
    """Templates [N, D] -> uint8 faces [N, 160, 160, 3]."""
    faces = model.predict(np.asarray(templates, np.float32), batch_size=batch_size, verbose=0)
    return np.clip(np.round((faces + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_train_step(model, extractor, optimizer, feature_weight):
    """A compiled step: (templates [B, D], faces uint8 [B, 160, 160, 3]) -> (total, pixel, feature) losses."""
    embed = extractor.model

    @tf.function
    def step(templates, faces):
        targets = tf.cast(faces, tf.float32) / 127.5 - 1.0
        with tf.GradientTape() as tape:
            outputs = model(templates, training=True)
            pixel = tf.reduce_mean(tf.square(outputs - targets))
            features = tf.cast(embed((centre_crop(outputs, MARGIN) + 1.0) * 127.5, training=False), tf.float32)
            cosine = tf.reduce_sum(tf.math.l2_normalize(features, -1) * tf.math.l2_normalize(templates, -1), -1)
            feature = tf.reduce_mean(1.0 - cosine)
            total = pixel + feature_weight * feature
        optimizer.apply_gradients(zip(tape.gradient(total, model.trainable_variables), model.trainable_variables))
        return total, pixel, feature
    return step


def validation_loss(model, extractor, templates, faces, feature_weight, batch_size=128):
    """(total, pixel, feature) mean losses on held-out pairs, with the model in inference mode."""
    totals = np.zeros(3)
    for start in range(0, len(templates), batch_size):
        part = slice(start, start + batch_size)
        outputs = model(templates[part], training=False)
        targets = faces[part].astype(np.float32) / 127.5 - 1.0
        pixel = float(tf.reduce_mean(tf.square(outputs - targets)))
        features = extractor((centre_crop(outputs, MARGIN) + 1.0) * 127.5).numpy()
        cosine = np.sum(_unit(features) * _unit(templates[part]), -1)
        feature = float(np.mean(1.0 - cosine))
        totals += np.array([pixel + feature_weight * feature, pixel, feature]) * len(cosine)
    return totals / len(templates)


def _unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _last_or_new(last_dir, extractor, templates, held, feature_weight, batch_size):
    """(model, meta) of the NbNet being trained in `last_dir`, or a new one; refuses one of another store."""
    if nbnet_files(last_dir)[0].is_file():
        model, meta = load_nbnet(last_dir, extractor.name)
        if meta["pairs"] != len(templates):
            raise CheckpointFormatError(f"the NbNet in {last_dir.parent} was trained on {meta['pairs']} pairs, not "
                                        f"{len(templates)}: delete it to train on the new store")
        return model, meta
    model = build_nbnet(templates.shape[1])
    return model, {"extractor": extractor.name, "embedding_dim": int(templates.shape[1]), "pairs": len(templates),
                   "held_out": held, "feature_weight": feature_weight, "batch_size": batch_size, "epochs": [],
                   "best_epoch": None, "best_validation": None, "parameters": int(model.count_params())}


def train_nbnet(pairs, extractor, directory, epochs=1, batch_size=32, learning_rate=1e-3, feature_weight=0.1,
                holdout=0.05, seed=0, max_batches=None, save_every=100):
    """Trains (or continues) NbNet on `pairs` ({template, face}) for `epochs` in all; saves after every epoch,
    keeping the epoch with the lowest held-out loss. Returns (model, meta).

    Every `save_every` batches the weights and the epoch's position go to `last/`, so an interrupted epoch
    resumes where it stopped. `max_batches` caps the batches of each epoch. Continuing restarts Adam's moments.
    """
    templates, faces = pairs["template"].astype(np.float32), pairs["face"]
    order = np.random.default_rng(seed).permutation(len(templates))
    held = max(1, int(len(order) * holdout))
    validation, training = order[:held], order[held:]
    last_dir = pathlib.Path(directory) / "last"
    model, meta = _last_or_new(last_dir, extractor, templates, held, feature_weight, batch_size)
    optimizer = keras.optimizers.Adam(learning_rate)
    step = make_train_step(model, extractor, optimizer, feature_weight)
    for epoch in range(len(meta["epochs"]), epochs):
        # Each epoch's order depends only on (seed, epoch), so a resumed epoch skips exactly the batches done.
        shuffled = np.random.default_rng([seed, epoch]).permutation(training)
        batches = len(shuffled) // batch_size
        if max_batches:
            batches = min(batches, max_batches)
        resumed = meta.pop("in_progress", None)
        if resumed and (resumed["epoch"], resumed["batch_size"]) != (epoch + 1, batch_size):
            logging.warning("discarding a partial NbNet epoch %s at batch size %s", resumed["epoch"],
                            resumed["batch_size"])
            resumed = None
        done = resumed["batches_done"] if resumed else 0
        sums = np.array(resumed["sums"]) if resumed else np.zeros(3)
        started = time.time() - (resumed["seconds"] if resumed else 0.0)
        with tqdm(range(done, batches), desc=f"NbNet epoch {epoch + 1}/{epochs}", unit="batch", initial=done,
                  total=batches) as progress:
            for batch in progress:
                rows = np.sort(shuffled[batch * batch_size:(batch + 1) * batch_size])
                losses = step(tf.constant(templates[rows]), tf.constant(faces[rows]))
                sums += [float(value) for value in losses]
                if batch % 20 == 0:
                    progress.set_postfix(loss=f"{sums[0] / (batch + 1):.4f}")
                if save_every and (batch + 1) % save_every == 0 and batch + 1 < batches:
                    partial = {"epoch": epoch + 1, "batch_size": batch_size, "batches_done": batch + 1,
                               "sums": sums.tolist(), "seconds": round(time.time() - started, 1)}
                    save_nbnet(model, last_dir, {**meta, "in_progress": partial})
        held_out = validation_loss(model, extractor, templates[validation], faces[validation], feature_weight)
        meta["epochs"].append({"epoch": epoch + 1, "batches": batches, "batch_size": batch_size,
                               "train": (sums / batches).round(5).tolist(),
                               "validation": held_out.round(5).tolist(), "seconds": round(time.time() - started, 1)})
        logging.info("NbNet epoch %d: train %s, validation (total, pixel, feature) %s", epoch + 1,
                     (sums / batches).round(4), held_out.round(4))
        save_nbnet(model, last_dir, meta)
        if meta["best_validation"] is None or held_out[0] < meta["best_validation"]:
            meta["best_epoch"], meta["best_validation"] = epoch + 1, float(held_out[0])
            save_nbnet(model, directory, meta)
        else:
            best, _ = load_nbnet(directory, extractor.name)
            save_nbnet(best, directory, meta)
    return load_nbnet(directory, extractor.name)
