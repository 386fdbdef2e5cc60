"""The Mapping baseline (Dong et al., BIOSIG 2021): an MLP from a face template to the generator's latent.

    MappingModel: template [B, D] -> w+ [B, num_ws, 512]   (variant 'w' predicts one w, repeated in every row)

The network sees the L2-normalised template (a system's templates vary in norm) and predicts the latent
in standardised units (each output dimension's training mean and standard deviation, kept with the
weights); reconstruction is one forward pass and one render. Trained on generated pairs
(training_pairs.py) with a latent MSE; the epoch with the lowest held-out loss is the one kept, since
the MLP overfits 20,000 pairs within tens of epochs.

Saved as <dir>/mapping_<variant>.json (variant, extractor, dims, statistics, training log) beside
<dir>/mapping_<variant>.weights.h5.
"""

import json
import pathlib
import time

import numpy as np
import tensorflow as tf
from absl import logging

from tf_reconstruct import atomic_files
from tf_reconstruct.baselines.training_pairs import mix_w_plus
from tf_reconstruct.errors import CheckpointFormatError, MissingCheckpointError

keras = tf.keras
VARIANTS = ("w", "wplus")


def build_mlp(embedding_dim, rows, hidden=1024, depth=4):
    """templates [B, D] -> standardised latents [B, rows, 512]: L2 norm, depth x (Dense, LayerNorm, LeakyReLU)."""
    templates = keras.Input((embedding_dim,), name="template")
    x = keras.layers.UnitNormalization(name="l2_normalise")(templates)
    for index in range(depth):
        x = keras.layers.Dense(hidden, name=f"dense_{index}")(x)
        x = keras.layers.LayerNormalization(name=f"norm_{index}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"act_{index}")(x)
    x = keras.layers.Dense(rows * 512, name="latent")(x)
    return keras.Model(templates, keras.layers.Reshape((rows, 512), name="rows")(x), name="mapping_mlp")


class MappingModel:
    """A trained Mapping: `predict(templates [B, D]) -> w+ [B, num_ws, 512]` float32."""

    def __init__(self, variant, extractor, embedding_dim, num_ws, mean, std, mlp=None, log=None):
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
        self.variant, self.extractor, self.embedding_dim, self.num_ws = variant, extractor, embedding_dim, num_ws
        self.rows = 1 if variant == "w" else num_ws
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self.mlp = mlp or build_mlp(embedding_dim, self.rows)
        self.log = log or {}

    @property
    def name(self):
        return "mapping" if self.variant == "w" else "mapping_wplus"

    def predict(self, templates, batch_size=256):
        templates = np.asarray(templates, np.float32)
        if templates.ndim != 2 or templates.shape[1] != self.embedding_dim:
            raise ValueError(f"the {self.name} model takes [N, {self.embedding_dim}] templates of {self.extractor}, "
                             f"got shape {templates.shape}")
        standard = self.mlp.predict(templates, batch_size=batch_size, verbose=0)
        latents = standard * self.std + self.mean
        return np.repeat(latents, self.num_ws, axis=1) if self.variant == "w" else latents

    def save(self, directory):
        stem = pathlib.Path(directory) / f"mapping_{self.variant}"
        with atomic_files.replacing(stem.with_name(stem.name + ".weights.h5")) as temporary:
            self.mlp.save_weights(str(temporary))
        meta = {"variant": self.variant, "extractor": self.extractor, "embedding_dim": self.embedding_dim,
                "num_ws": self.num_ws, "mean": self.mean.tolist(), "std": self.std.tolist(), "log": self.log}
        atomic_files.write_text(stem.with_suffix(".json"), json.dumps(meta))


def mapping_files(directory, variant):
    stem = pathlib.Path(directory) / f"mapping_{variant}"
    return stem.with_suffix(".json"), stem.with_name(stem.name + ".weights.h5")


def load_mapping(directory, variant, extractor_name=None):
    """The trained Mapping of `variant` in `directory`; clear errors when it is missing, corrupt or for another
    extractor."""
    meta_file, weights_file = mapping_files(directory, variant)
    if not meta_file.is_file() or not weights_file.is_file():
        raise MissingCheckpointError(f"no trained Mapping ({variant}) in {directory}: run "
                                     f"`python -m tf_reconstruct.train_baselines` first")
    try:
        meta = json.loads(meta_file.read_text())
        model = MappingModel(meta["variant"], meta["extractor"], meta["embedding_dim"], meta["num_ws"], meta["mean"],
                             meta["std"], log=meta.get("log"))
        model.mlp.load_weights(str(weights_file))
    except (ValueError, KeyError, OSError) as error:
        raise CheckpointFormatError(f"{weights_file} (or its .json) is corrupt or does not fit the Mapping "
                                    f"architecture ({error}); delete both and train again") from error
    if extractor_name and model.extractor != extractor_name:
        raise CheckpointFormatError(f"{meta_file} maps templates of {model.extractor}, not {extractor_name}: "
                                    f"train a Mapping for {extractor_name} (--attack_model)")
    return model


def training_targets(pairs, variant, num_ws):
    """(templates, latent targets [n, rows, 512]) from a pair store: 'w' learns the unmixed pairs' w."""
    if variant == "w":
        unmixed = pairs["crossover"] >= num_ws
        return pairs["template"][unmixed], pairs["w"][unmixed][:, None]
    return pairs["template"], mix_w_plus(pairs["w"], pairs["w_mix"], pairs["crossover"], num_ws).astype(np.float32)


def train_mapping(pairs, variant, extractor_name, num_ws, directory, epochs=30, batch_size=256,
                  learning_rate=1e-3, holdout=0.05, seed=0):
    """Trains (or resumes training) a Mapping on `pairs` ({template, w, w_mix, crossover}) and saves the epoch
    with the lowest held-out latent MSE. Returns the MappingModel.

    Resuming restarts Adam's moments from zero at the saved epoch; the log in the .json says so.
    """
    templates, targets = training_targets(pairs, variant, num_ws)
    order = np.random.default_rng(seed).permutation(len(templates))
    held = max(1, int(len(order) * holdout))
    validation, training = order[:held], order[held:]
    mean = targets[training].mean(axis=0)
    std = targets[training].std(axis=0) + 1e-6
    meta_file, _ = mapping_files(directory, variant)
    last_dir = pathlib.Path(directory) / "last"
    if meta_file.is_file() and (mapping_files(last_dir, variant)[0]).is_file():
        best = load_mapping(directory, variant, extractor_name)
        model = load_mapping(last_dir, variant, extractor_name)
        log = model.log
        if log.get("pairs") != len(templates):
            raise CheckpointFormatError(f"the Mapping in {directory} was trained on {log.get('pairs')} pairs, not "
                                        f"{len(templates)}: delete it to train on the new store")
    else:
        model = MappingModel(variant, extractor_name, templates.shape[1], num_ws, mean, std)
        best = None
        log = {"pairs": len(templates), "held_out": held, "epochs": [], "best_epoch": None, "best_validation": None}
    standard = ((targets - model.mean) / model.std).astype(np.float32)
    optimizer = keras.optimizers.Adam(learning_rate)
    model.mlp.compile(optimizer=optimizer, loss="mse")
    done = len(log["epochs"])
    for epoch in range(done, epochs):
        started = time.time()
        history = model.mlp.fit(templates[training], standard[training], batch_size=batch_size, epochs=1,
                                shuffle=True, verbose=0)
        validation_loss = float(model.mlp.evaluate(templates[validation], standard[validation],
                                                   batch_size=1024, verbose=0))
        log["epochs"].append({"epoch": epoch + 1, "train": float(history.history["loss"][0]),
                              "validation": validation_loss, "seconds": round(time.time() - started, 1),
                              "resumed": epoch == done and done > 0})
        logging.info("%s epoch %d: train %.4f, validation %.4f", model.name, epoch + 1,
                     history.history["loss"][0], validation_loss)
        model.log = log
        if log["best_validation"] is None or validation_loss < log["best_validation"]:
            log["best_epoch"], log["best_validation"] = epoch + 1, validation_loss
            model.save(directory)
            best = None
        else:
            # Keep the best epoch's weights as the model; record the log beside them.
            best = best or load_mapping(directory, variant, extractor_name)
            best.log = log
            best.save(directory)
        model.save(last_dir)
    return load_mapping(directory, variant, extractor_name)
