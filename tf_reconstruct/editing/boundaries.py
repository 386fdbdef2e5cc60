"""InterfaceGAN boundaries: a linear SVM in W separating the highest- from the lowest-scored samples.

    train_boundary(latents [N, 512], scores [N], fraction, seed) -> Boundary(normal [512], offset, report)
    save(boundary, folder, attribute, provenance) / load(folder, attribute) -> Boundary

As in InterfaceGAN's train_boundary (Shen et al. 2020): the `fraction` of samples with the highest score
are positives and the same number with the lowest are negatives; they are shuffled and split 70/30 into
training and validation; scikit-learn's linear SVM is fitted on the training part; the unit normal of its
hyperplane is the edit direction (pointing to higher scores). The report gives the validation accuracy on
the extremes and, as the original, the accuracy on all remaining samples labelled by whether their score
lies above the midpoint of the highest and lowest score. InterfaceGAN takes 2% of 500,000 samples (10,000
per side); with our ~20,000 samples the default is 10% (2,000 per side): 2% would leave 400, too few for
a 512-d hyperplane.
"""

import dataclasses
import json
import pathlib

import numpy as np

from tf_reconstruct import atomic_files
from tf_reconstruct.errors import TfReconstructError

DEFAULT_FRACTION = 0.1
VALIDATION_SHARE = 0.3


class BoundaryError(TfReconstructError, ValueError):
    """A boundary that is missing, or made for another generator or latent size."""


@dataclasses.dataclass
class Boundary:
    normal: np.ndarray   # [512] unit normal, towards higher scores
    offset: float        # the SVM's intercept over |coef|: the hyperplane is normal . w + offset = 0
    report: dict         # accuracies (see train_boundary) and `slope`: score change per unit along the normal


def split_extremes(scores, fraction, seed=0, validation_share=VALIDATION_SHARE):
    """Indices of the training and validation extremes with their labels (1 high, 0 low), and of the rest.

    Returns (train_index, train_label, valid_index, valid_label, rest_index).
    """
    scores = np.asarray(scores, np.float64)
    count = int(len(scores) * fraction)
    if count < 2:
        raise ValueError(f"{len(scores)} samples x fraction {fraction} leave {count} per side: need at least 2")
    order = np.argsort(scores, kind="stable")
    low, high, rest = order[:count], order[-count:], order[count:-count]
    rng = np.random.default_rng(seed)
    index = np.concatenate([high, low])
    label = np.concatenate([np.ones(count, int), np.zeros(count, int)])
    shuffle = rng.permutation(len(index))
    index, label = index[shuffle], label[shuffle]
    cut = int(round(len(index) * (1 - validation_share)))
    return index[:cut], label[:cut], index[cut:], label[cut:], rest


def train_boundary(latents, scores, fraction=DEFAULT_FRACTION, seed=0, regularisation=1.0):
    """Fits the boundary of `scores` [N] (NaN dropped) in the space of `latents` [N, D]."""
    from sklearn import svm
    latents, scores = np.asarray(latents, np.float64), np.asarray(scores, np.float64)
    usable = np.isfinite(scores)
    latents, scores = latents[usable], scores[usable]
    train, train_label, valid, valid_label, rest = split_extremes(scores, fraction, seed)
    classifier = svm.SVC(kernel="linear", C=regularisation)
    classifier.fit(latents[train], train_label)
    coefficients = classifier.coef_.ravel()
    norm = np.linalg.norm(coefficients)
    report = {"samples": int(len(scores)), "per_side": int((len(train) + len(valid)) // 2), "fraction": fraction,
              "train_accuracy": float(np.mean(classifier.predict(latents[train]) == train_label)),
              "validation_accuracy": float(np.mean(classifier.predict(latents[valid]) == valid_label)),
              "validation_count": int(len(valid))}
    # Score per unit of the normal, over every sample: how far an edit must go to change the score by one
    # (the closed loop of normalize.py starts from it).
    report["slope"] = float(np.polyfit(latents @ (coefficients / norm), scores, 1)[0])
    report["score_std"] = float(np.std(scores))   # the unit of leakage (metrics/editing.leakage)
    if len(rest):
        midpoint = (scores.max() + scores.min()) / 2
        report["remaining_accuracy"] = float(np.mean(classifier.predict(latents[rest]) == (scores[rest] >= midpoint)))
        report["remaining_count"] = int(len(rest))
    return Boundary((coefficients / norm).astype(np.float32), float(classifier.intercept_[0] / norm), report)


def save(boundary, folder, attribute, provenance):
    """Writes <folder>/<attribute>.npy (the normal) and <attribute>.json (offset, report, how it was made)."""
    folder = pathlib.Path(folder)
    with atomic_files.replacing(folder / f"{attribute}.npy") as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, boundary.normal)
    atomic_files.write_text(folder / f"{attribute}.json", json.dumps(
        {"attribute": attribute, "offset": boundary.offset, "report": boundary.report, **provenance}, indent=1))


def load(folder, attribute, dimension=512):
    """The boundary of `attribute` saved in `folder`."""
    folder = pathlib.Path(folder)
    normal_path, info_path = folder / f"{attribute}.npy", folder / f"{attribute}.json"
    if not normal_path.is_file() or not info_path.is_file():
        known = sorted(path.stem for path in folder.glob("*.npy")) if folder.is_dir() else []
        raise BoundaryError(f"no boundary for {attribute!r} in {folder} (there: {', '.join(known) or 'none'}); make "
                            f"them with `python -m tf_reconstruct.train_boundaries`")
    normal = np.load(normal_path)
    if normal.shape != (dimension,):
        raise BoundaryError(f"{normal_path} holds a normal of shape {normal.shape}, not ({dimension},)")
    info = json.loads(info_path.read_text())
    return Boundary(normal.astype(np.float32), float(info["offset"]), info["report"])
