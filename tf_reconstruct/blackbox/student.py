"""The student: the oracle's template predicted from the surrogate's, so that the white-box stage can aim at the
oracle's template itself.

    fit_student(surrogate [N, D'], oracle [N, D], ridge) -> (weights [D', D], bias [D])   (pure numpy)
    mean_distance(weights, bias, surrogate, oracle) -> mean Euclidean distance of the predictions
    train_student(bank pairs, real pairs) -> (weights, bias, log)
    save_student / load_student(directory, oracle_name, surrogate_name, data)
    student_extractor(surrogate, weights, bias, weight) -> Extractor: faces -> [unit m ; weight * unit(S(m))]
    stage_targets(translated [B, D'], oracle_templates [B, D], weight) -> [B, D' + D]

Why a second map: the adapter runs backwards, from the oracle's 128 numbers to the surrogate's 192, and on real
photos lands at a cosine of only about 0.80 (adapter.py). The forward direction loses less: a ridge map from
MobileFaceNet-192's unit template to dlib's predicts dlib's template of held-out real photos at a mean distance of
0.35, where dlib's own acceptance threshold at FAR 0.1% is 0.54. The stage's loss is then the cosine of the
concatenation, the mean of the surrogate's cosine to the translation and the student's to the oracle's template
itself (weight 1): the face must look like the translation to the surrogate and like the template to the
student. The student is trained on the adapter's pairs (the bank's generated faces and, for bank_lfw, the
single-photo LFW people's), never on a study's people; the oracle is not queried again.
"""

import json
import pathlib

import numpy as np
import tensorflow as tf

from tf_reconstruct import atomic_files
from tf_reconstruct.blackbox import adapter as adapters
from tf_reconstruct.errors import MissingCheckpointError
from tf_reconstruct.models.registry import Extractor

keras = tf.keras
RIDGE = 0.01   # set on the bank's held-out pairs (0.01-10 move the real photos' distance by 0.014)


def unit(rows):
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def fit_student(surrogate, oracle, ridge=RIDGE):
    """The ridge regression of oracle [N, D] on unit(surrogate) [N, D'], with an unpenalised bias:
    (weights [D', D], bias [D]) minimising |unit(s) W + b - o|^2 + ridge |W|^2."""
    inputs = unit(np.asarray(surrogate, np.float64))
    outputs = np.asarray(oracle, np.float64)
    mean_in, mean_out = inputs.mean(0), outputs.mean(0)
    centred = inputs - mean_in
    gram = centred.T @ centred + ridge * np.eye(inputs.shape[1])
    weights = np.linalg.solve(gram, centred.T @ (outputs - mean_out))
    return weights, mean_out - mean_in @ weights


def predict(weights, bias, surrogate):
    return unit(np.asarray(surrogate, np.float64)) @ weights + bias


def mean_distance(weights, bias, surrogate, oracle):
    """Mean Euclidean distance of the student's predictions to the oracle's own templates."""
    return float(np.mean(np.linalg.norm(predict(weights, bias, surrogate) - oracle, axis=1)))


def train_student(bank_surrogate, bank_oracle, real=None, ridge=RIDGE):
    """Fits on the adapter's training split (adapter.split / real_split, so the held-out pairs are the same) and
    returns (weights, bias, log {ridge, pairs, validation_distance[, real_validation_distance]})."""
    training, validation = adapters.split(len(bank_surrogate))
    inputs, outputs = [bank_surrogate[training]], [bank_oracle[training]]
    held = {"validation": (bank_surrogate[validation], bank_oracle[validation])}
    if real is not None:
        real_oracle, real_surrogate = real
        real_training, real_validation = adapters.real_split(len(real_oracle))
        inputs.append(real_surrogate[real_training])
        outputs.append(real_oracle[real_training])
        held["real_validation"] = (real_surrogate[real_validation], real_oracle[real_validation])
    weights, bias = fit_student(np.concatenate(inputs), np.concatenate(outputs), ridge)
    log = {"ridge": ridge, "pairs": int(sum(len(part) for part in inputs)),
           **{f"{name}_distance": round(mean_distance(weights, bias, *pair), 4) for name, pair in held.items()}}
    return weights, bias, log


def student_name(oracle_name, surrogate_name, data="bank"):
    return f"student_{surrogate_name}_to_{oracle_name}" + ("" if data == "bank" else f"_{data}")


def save_student(weights, bias, log, directory, oracle_name, surrogate_name, data="bank"):
    stem = pathlib.Path(directory) / student_name(oracle_name, surrogate_name, data)
    with atomic_files.replacing(stem.with_suffix(".npz")) as temporary:
        np.savez(temporary, weights=weights.astype(np.float32), bias=bias.astype(np.float32))
    atomic_files.write_text(stem.with_suffix(".json"), json.dumps({"oracle": oracle_name, "surrogate": surrogate_name,
                                                                   "data": data, **log}, indent=1))


def load_student(directory, oracle_name, surrogate_name, data="bank"):
    """(weights, bias, meta); a clear error with the command that makes it when it is missing."""
    stem = pathlib.Path(directory) / student_name(oracle_name, surrogate_name, data)
    if not stem.with_suffix(".npz").is_file() or not stem.with_suffix(".json").is_file():
        raise MissingCheckpointError(f"no student from {surrogate_name} to {oracle_name} learnt from {data} in "
                                     f"{directory}: fit it with `python -m tf_reconstruct.train_adapter --oracle=... "
                                     f"--adapter_data={data}` (seconds once the pairs are scored)")
    with np.load(stem.with_suffix(".npz")) as saved:
        weights, bias = saved["weights"], saved["bias"]
    return weights, bias, json.loads(stem.with_suffix(".json").read_text())


class StudentHead(keras.layers.Layer):
    """templates [B, D'] -> [B, D' + D]: [unit(m) ; weight * unit(unit(m) W + b)], W and b fixed."""

    def __init__(self, weights, bias, weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.map = tf.constant(weights, tf.float32)
        self.offset = tf.constant(bias, tf.float32)
        self.weight = float(weight)

    def call(self, templates):
        own = tf.math.l2_normalize(tf.cast(templates, tf.float32), -1)
        predicted = tf.math.l2_normalize(own @ self.map + self.offset, -1)
        return tf.concat([own, self.weight * predicted], -1)


def student_extractor(surrogate, weights, bias, weight=1.0):
    """The surrogate with the student's head: an Extractor whose template the white-box engine matches to
    stage_targets; it is differentiable through the surrogate and never touches the oracle."""
    def build(model=None):
        faces = keras.Input((112, 112, 3), name="faces")
        head = StudentHead(weights, bias, weight, name="student_head")
        return keras.Model(faces, head((model or surrogate.model)(faces)), name=f"{surrogate.name}_student")
    rebuild = (lambda: build(surrogate.build_model())) if surrogate.build_model else None
    return Extractor(f"{surrogate.name}+student", build(), surrogate.embedding_dim + len(bias),
                     f"{surrogate.description}, with the student's prediction of the oracle's template",
                     build_model=rebuild)


def stage_targets(translated, oracle_templates, weight=1.0):
    """[B, D' + D]: [unit(translation) ; weight * unit(oracle template)], what student_extractor's faces should match."""
    return np.concatenate([unit(np.asarray(translated, np.float64)),
                           weight * unit(np.asarray(oracle_templates, np.float64))], 1).astype(np.float32)
