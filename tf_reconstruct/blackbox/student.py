"""The student: the oracle's template predicted from the surrogate's, so that the white-box stage can aim at the
oracle's template itself.

    fit_student(surrogate [N, D'], oracle [N, D], ridge) -> (weights [D', D], bias [D])   (pure numpy)
    mean_distance(weights, bias, surrogate, oracle) -> mean Euclidean distance of the predictions
    train_student(bank pairs, real pairs) -> Student(weights, bias, centre, surrogate_norm, log)
    save_student / load_student(directory, oracle_name, surrogate_name, data) -> Student
    rescaled(translated [B, D'], norm) -> the translations at the surrogate's mean template norm
    student_extractor(surrogate, student, weight) -> Extractor: faces -> [m ; weight * n * unit(S(m) - centre)]
    stage_targets(translated [B, D'], oracle_templates [B, D], student, weight) -> [B, D' + D]

Why a second map: the adapter runs backwards, from the oracle's 128 numbers to the surrogate's 192, and on real
photos lands at a cosine of only about 0.80 (adapter.py). The forward direction loses less: a ridge map from
MobileFaceNet-192's unit template to dlib's predicts dlib's template of held-out real photos at a mean distance of
0.35, where dlib's own acceptance threshold at FAR 0.1% is 0.54. The stage's loss is then the cosine of the
concatenation, the mean of the surrogate's cosine to the translation and the student's to the oracle's template
itself (weight 1): the face must look like the translation to the surrogate and like the template to the
student. Two choices keep the student's term from pulling the template off the faces' manifold:
- **Centred:** the student's cosine is taken about the mean oracle template. dlib's raw templates share a large
  mean (two strangers' cosine is about 0.84), so a raw cosine would compress the student's term into
  0.84-1; centred, strangers sit near 0 and a photo's own prediction near 0.78, the surrogate's own scale.
- **Flat:** the ridge is the largest of 0.01, 1, 10, 100, 1000 whose held-out error on the bank's generated
  pairs is within 5% of the best (10: 0.287 against 0.278). At 0.01 the map's largest gain is 30 (1.9 at 1,
  1.0 at 10): the engine then matched the student by moving the surrogate's template along directions no
  face's template takes, and on 10 fresh people after the 256-px half of the stage the surrogate's cosine to
  the translation fell to 0.54 (0.95 for the stage without the student) while dlib's own distance did not move
  (0.60).
- **At the surrogate's scale:** the engine's loss is the paper's MSE on raw templates, and MobileFaceNet-192's
  are about 70 long (the real photos' mean norm, 70.4), where the adapter, trained on the cosine, returns
  translations about 20 long (19.6): the plain stage pulls the surrogate's template towards one of a third of
  its length as well as towards its direction. A `_rescaled` stage sets the translation to the mean norm n
  of the surrogate's templates first, and the student's block is n * unit(...), so that both blocks weigh as
  one template does; a stage on unit vectors alone barely moved (the MSE's gradient is n^2 times smaller).
The student is trained on the adapter's pairs (the bank's generated faces and, for bank_lfw, the single-photo LFW
people's), never on a study's people; the oracle is not queried again.
"""

import dataclasses
import json
import pathlib

import numpy as np
import tensorflow as tf

from tf_reconstruct import atomic_files
from tf_reconstruct.blackbox import adapter as adapters
from tf_reconstruct.errors import MissingCheckpointError
from tf_reconstruct.metrics.verification import normalise as unit
from tf_reconstruct.models.registry import Extractor

keras = tf.keras
PARTS = ("weights", "bias", "centre", "surrogate_norm")
RIDGE = 10.0   # the flattest map within 5% of the best held-out error on the bank's pairs (module docstring)


def fit_student(surrogate, oracle, ridge=RIDGE):
    """The ridge regression of oracle [N, D] on unit(surrogate) [N, D'], with an unpenalised bias:
    (weights [D', D], bias [D]) minimising |unit(s) W + b - o|^2 + ridge |W|^2."""
    inputs = unit(surrogate)
    outputs = np.asarray(oracle, np.float64)
    mean_in, mean_out = inputs.mean(0), outputs.mean(0)
    centred = inputs - mean_in
    gram = centred.T @ centred + ridge * np.eye(inputs.shape[1])
    weights = np.linalg.solve(gram, centred.T @ (outputs - mean_out))
    return weights, mean_out - mean_in @ weights


def predict(weights, bias, surrogate):
    return unit(surrogate) @ weights + bias


def mean_distance(weights, bias, surrogate, oracle):
    """Mean Euclidean distance of the student's predictions to the oracle's own templates."""
    return float(np.mean(np.linalg.norm(predict(weights, bias, surrogate) - oracle, axis=1)))


@dataclasses.dataclass
class Student:
    weights: np.ndarray   # [D', D]
    bias: np.ndarray      # [D]
    centre: np.ndarray    # [D] the mean oracle template it learnt from, about which its cosine is taken
    surrogate_norm: float  # the mean norm of the surrogate's (raw) templates it learnt from
    log: dict


def train_student(bank_surrogate, bank_oracle, real=None, ridge=RIDGE):
    """Fits on the adapter's training split (adapter.split / real_split, so the held-out pairs are the same):
    a Student whose log holds {ridge, pairs, validation_distance[, real_validation_distance]}. `real` is
    (oracle [M, D], surrogate [M, D']) of real photos."""
    training, validation = adapters.split(len(bank_surrogate))
    inputs, outputs = [bank_surrogate[training]], [bank_oracle[training]]
    held = {"validation": (bank_surrogate[validation], bank_oracle[validation])}
    if real is not None:
        real_oracle, real_surrogate = real
        real_training, real_validation = adapters.real_split(len(real_oracle))
        inputs.append(real_surrogate[real_training])
        outputs.append(real_oracle[real_training])
        held["real_validation"] = (real_surrogate[real_validation], real_oracle[real_validation])
    inputs, outputs = np.concatenate(inputs), np.concatenate(outputs)
    weights, bias = fit_student(inputs, outputs, ridge)
    log = {"ridge": ridge, "pairs": len(outputs),
           **{f"{name}_distance": round(mean_distance(weights, bias, *pair), 4) for name, pair in held.items()}}
    return Student(weights, bias, np.asarray(outputs, np.float64).mean(0),
                   float(np.mean(np.linalg.norm(inputs, axis=1))), log)


def student_name(oracle_name, surrogate_name, data="bank"):
    return f"student_{surrogate_name}_to_{oracle_name}" + ("" if data == "bank" else f"_{data}")


def save_student(student, directory, oracle_name, surrogate_name, data="bank"):
    stem = pathlib.Path(directory) / student_name(oracle_name, surrogate_name, data)
    with atomic_files.replacing(stem.with_suffix(".npz")) as temporary:
        np.savez(temporary, **{part: np.asarray(getattr(student, part), np.float32) for part in PARTS})
    atomic_files.write_text(stem.with_suffix(".json"), json.dumps({"oracle": oracle_name, "surrogate": surrogate_name,
                                                                   "data": data, **student.log}, indent=1))


def load_student(directory, oracle_name, surrogate_name, data="bank"):
    """The saved Student; a clear error with the command that makes it when it is missing."""
    stem = pathlib.Path(directory) / student_name(oracle_name, surrogate_name, data)
    if not stem.with_suffix(".npz").is_file() or not stem.with_suffix(".json").is_file():
        raise MissingCheckpointError(f"no student from {surrogate_name} to {oracle_name} learnt from {data} in "
                                     f"{directory}: fit it with `python -m tf_reconstruct.train_adapter --oracle=... "
                                     f"--adapter_data={data} --adapter_parts=student` (seconds once the pairs are "
                                     f"scored)")
    with np.load(stem.with_suffix(".npz")) as saved:
        parts = {part: saved[part] for part in PARTS}
    parts["surrogate_norm"] = float(parts["surrogate_norm"])
    return Student(**parts, log=json.loads(stem.with_suffix(".json").read_text()))


def rescaled(translated, norm):
    """[B, D']: each translation at length `norm` (the adapter learnt only their directions)."""
    return (norm * unit(translated)).astype(np.float32)


class StudentHead(keras.layers.Layer):
    """templates [B, D'] -> [B, D' + D]: [m ; weight * n * unit(unit(m) W + b - centre)], W, b, centre and the
    surrogate's mean norm n fixed: the student's block at the length of a template."""

    def __init__(self, student, weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.map = tf.constant(student.weights, tf.float32)
        self.offset = tf.constant(student.bias - student.centre, tf.float32)
        self.scale = float(weight) * student.surrogate_norm

    def call(self, templates):
        templates = tf.cast(templates, tf.float32)
        predicted = tf.math.l2_normalize(tf.math.l2_normalize(templates, -1) @ self.map + self.offset, -1)
        return tf.concat([templates, self.scale * predicted], -1)


def student_extractor(surrogate, student, weight=1.0):
    """The surrogate with the student's head: an Extractor whose template the white-box engine matches to
    stage_targets; it is differentiable through the surrogate and never touches the oracle."""
    def build(model=None):
        faces = keras.Input((112, 112, 3), name="faces")
        head = StudentHead(student, weight, name="student_head")
        return keras.Model(faces, head((model or surrogate.model)(faces)), name=f"{surrogate.name}_student")
    rebuild = (lambda: build(surrogate.build_model())) if surrogate.build_model else None
    return Extractor(f"{surrogate.name}+student", build(), surrogate.embedding_dim + len(student.bias),
                     f"{surrogate.description}, with the student's prediction of the oracle's template",
                     build_model=rebuild)


def stage_targets(translated, oracle_templates, student, weight=1.0):
    """[B, D' + D]: [n * unit(translation) ; weight * n * unit(oracle template - centre)], what student_extractor's
    faces should match (n: the surrogate's mean template norm)."""
    centred = np.asarray(oracle_templates, np.float64) - student.centre
    return np.concatenate([rescaled(translated, student.surrogate_norm),
                           weight * student.surrogate_norm * unit(centred)], 1).astype(np.float32)
