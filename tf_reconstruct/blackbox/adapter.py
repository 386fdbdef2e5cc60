"""The adapter: the oracle's templates translated into the surrogate's (a white-box model's) space.

    build_adapter(in_dim, out_dim, hidden=1024, depth=2): templates [B, in_dim] -> [B, out_dim]
    split(count, validation_fraction, seed) -> (training indices, validation indices)
    train_adapter(source [N, in], target [N, out], ..., real=None) -> (model, log)
    save_adapter / load_adapter(directory, oracle_name, surrogate_name)

As Shahreza et al. (2024) map a black box's templates into a known model's space: trained on the latent
bank's faces, each embedded by both systems (oracle_bank.py), to maximise the cosine of the translation to
the surrogate's own template, and optionally also on real photos of people no study draws (real_pairs.py),
whose held-out cosine then decides. The white-box engine inverts the translated template through the
surrogate; the oracle is not queried again. The epoch with the best held-out cosine is kept.
"""

import json
import pathlib

import numpy as np
import tensorflow as tf
from absl import logging

from tf_reconstruct import atomic_files
from tf_reconstruct.errors import MissingCheckpointError

keras = tf.keras


def build_adapter(in_dim, out_dim, hidden=1024, depth=2):
    """templates [B, in_dim] -> [B, out_dim]: L2 norm, depth x (Dense, LayerNorm, LeakyReLU), Dense."""
    templates = keras.Input((in_dim,), name="oracle_template")
    x = keras.layers.UnitNormalization(name="l2_normalise")(templates)
    for index in range(depth):
        x = keras.layers.Dense(hidden, name=f"dense_{index}")(x)
        x = keras.layers.LayerNormalization(name=f"norm_{index}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"act_{index}")(x)
    return keras.Model(templates, keras.layers.Dense(out_dim, name="surrogate_template")(x), name="adapter")


def split(count, validation_fraction=0.05, seed=0):
    """A seeded split of `count` pairs into (training, validation) index arrays; validation holds at least 1."""
    order = np.random.default_rng(seed).permutation(count)
    held = max(1, int(round(count * validation_fraction)))
    return np.sort(order[held:]), np.sort(order[:held])


def real_split(count, validation_fraction=0.05, seed=0):
    """The real photos' own seeded split (train_adapter's), so that another adapter is scored on the same held-out
    photos."""
    return split(count, validation_fraction, seed + 1)


def mean_cosine(model, source, target):
    """Mean cosine of the adapter's translations of `source` to `target` (numpy)."""
    predicted = model.predict(source, verbose=0, batch_size=1024)
    predicted /= np.linalg.norm(predicted, axis=1, keepdims=True)
    target = target / np.linalg.norm(target, axis=1, keepdims=True)
    return float(np.mean(np.sum(predicted * target, axis=1)))


def _cosine_loss(target, predicted):
    return 1.0 - tf.reduce_sum(tf.math.l2_normalize(target, -1) * tf.math.l2_normalize(predicted, -1), -1)


def train_adapter(source, target, epochs=60, batch_size=256, learning_rate=1e-3, validation_fraction=0.05,
                  patience=8, seed=0, hidden=1024, progress=True, real=None, real_repeat=1):
    """Trains on a seeded split; returns the model at its best held-out cosine and a log
    {pairs, epochs [{epoch, training, validation}], best_epoch, validation_cosine, untrained_validation_cosine}.

    `real` (source [M, in], target [M, out]), pairs from real photos (real_pairs.py), joins the training set,
    `real_repeat` times over; a share of them (`validation_fraction`, at least 1) is held out on its own, and it
    then chooses the epoch kept (the real photos are what the attack meets), logged as real_validation_cosine."""
    tf.keras.utils.set_random_seed(seed)
    source, target = np.asarray(source, np.float32), np.asarray(target, np.float32)
    training, validation = split(len(source), validation_fraction, seed)
    held = {"validation": (source[validation], target[validation])}
    train_source, train_target = source[training], target[training]
    if real is not None:
        real_source, real_target = (np.asarray(part, np.float32) for part in real)
        real_training, real_validation = real_split(len(real_source), validation_fraction, seed)
        held["real_validation"] = (real_source[real_validation], real_target[real_validation])
        train_source = np.concatenate([train_source] + [real_source[real_training]] * real_repeat)
        train_target = np.concatenate([train_target] + [real_target[real_training]] * real_repeat)
    chooser = "real_validation" if real is not None else "validation"
    model = build_adapter(source.shape[1], target.shape[1], hidden)
    model.compile(keras.optimizers.Adam(learning_rate), loss=_cosine_loss)
    log = {"pairs": len(source), "validation_pairs": len(validation), "real_pairs": 0 if real is None else len(real[0]),
           "real_repeat": real_repeat if real is not None else 0, "chosen_by": chooser, "epochs": [],
           **{f"untrained_{name}_cosine": round(mean_cosine(model, *pair), 4) for name, pair in held.items()}}
    best, best_weights, waited = -np.inf, model.get_weights(), 0
    for epoch in range(1, epochs + 1):
        history = model.fit(train_source, train_target, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)
        scores = {f"{name}_cosine": round(mean_cosine(model, *pair), 5) for name, pair in held.items()}
        log["epochs"].append({"epoch": epoch, "training_loss": round(float(history.history["loss"][-1]), 5), **scores})
        if progress:
            logging.info("adapter epoch %d: held-out %s", epoch, scores)
        if scores[f"{chooser}_cosine"] > best:
            best, best_weights, waited, log["best_epoch"] = scores[f"{chooser}_cosine"], model.get_weights(), 0, epoch
            log.update({key: round(value, 4) for key, value in scores.items()})
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return model, log


def adapter_name(oracle_name, surrogate_name, data="bank"):
    """The adapter's file stem; one learnt from more than the bank names its data."""
    return f"adapter_{oracle_name}_to_{surrogate_name}" + ("" if data == "bank" else f"_{data}")


def _paths(directory, oracle_name, surrogate_name, data):
    stem = pathlib.Path(directory) / adapter_name(oracle_name, surrogate_name, data)
    return stem.with_suffix(".weights.h5"), stem.with_suffix(".json")


def save_adapter(model, log, directory, oracle_name, surrogate_name, data="bank"):
    weights, meta = _paths(directory, oracle_name, surrogate_name, data)
    weights.parent.mkdir(parents=True, exist_ok=True)
    with atomic_files.replacing(weights) as temporary:
        model.save_weights(str(temporary))
    atomic_files.write_text(meta, json.dumps({"oracle": oracle_name, "surrogate": surrogate_name, "data": data,
                                              "in_dim": model.input_shape[-1], "out_dim": model.output_shape[-1],
                                              "hidden": model.get_layer("dense_0").units, **log}, indent=1))


def load_adapter(directory, oracle_name, surrogate_name, data="bank"):
    """(model, meta) of the trained adapter; a clear error with the training command when it is missing."""
    weights, meta_path = _paths(directory, oracle_name, surrogate_name, data)
    if not weights.is_file() or not meta_path.is_file():
        raise MissingCheckpointError(f"no adapter from {oracle_name} to {surrogate_name} learnt from {data} in "
                                     f"{directory}: train it with `python -m tf_reconstruct.train_adapter "
                                     f"--oracle=... --adapter_data={data}` (minutes)")
    meta = json.loads(meta_path.read_text())
    model = build_adapter(meta["in_dim"], meta["out_dim"], meta["hidden"])
    model.load_weights(str(weights))
    return model, meta
