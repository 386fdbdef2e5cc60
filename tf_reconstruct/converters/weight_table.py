"""Strict weight assignment: an explicit table of `layer_name/weight_name` -> array.

Every weight of the model must be in the table with the same shape, and (unless `allow_unused`)
every table entry must be used, so a converter can never leave a layer silently at its initial value.
"""

import zipfile

import numpy as np

from tf_reconstruct import atomic_files
from tf_reconstruct.errors import CheckpointFormatError


def weight_key(variable):
    """'layers_0_conv1/depthwise_kernel:0' -> 'layers_0_conv1/depthwise_kernel'."""
    name = variable.name.split(":")[0]
    parts = name.split("/")
    return f"{parts[-2]}/{parts[-1]}" if len(parts) >= 2 else name


def model_weight_keys(model):
    keys = [weight_key(variable) for variable in model.weights]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise CheckpointFormatError(f"model {model.name} has ambiguous weight names {sorted(duplicates)}")
    return keys


def assign(model, table, source="checkpoint", allow_unused=False):
    """Sets every weight of `model` from `table`; raises CheckpointFormatError naming what does not fit."""
    missing, mismatched, values = [], [], []
    for variable in model.weights:
        key = weight_key(variable)
        if key not in table:
            missing.append(key)
            continue
        value = np.asarray(table[key])
        if tuple(value.shape) != tuple(variable.shape):
            mismatched.append(f"{key}: {source} has {tuple(value.shape)}, model needs {tuple(variable.shape)}")
            continue
        values.append((variable, value))
    used = {weight_key(variable) for variable in model.weights}
    unused = [] if allow_unused else sorted(set(table) - used)
    if missing or mismatched or unused:
        details = []
        if missing:
            details.append(f"{len(missing)} model weights not in {source} (first: {missing[:3]})")
        if mismatched:
            details.append(f"{len(mismatched)} shape mismatches (first: {mismatched[:3]})")
        if unused:
            details.append(f"{len(unused)} {source} entries the model does not have (first: {unused[:3]})")
        raise CheckpointFormatError(
            f"{source} does not match model {model.name}: " + "; ".join(details) +
            ". The checkpoint is for another architecture or is corrupt; re-run the fetch/convert step.")
    for variable, value in values:
        variable.assign(value.astype(variable.dtype.as_numpy_dtype))


def save_npz(model, path):
    """Writes the model's weights as an npz keyed like the table (atomic: temp file then rename)."""
    with atomic_files.replacing(path) as temporary:
        np.savez(temporary, **{weight_key(variable): variable.numpy() for variable in model.weights})


def load_npz(model, path, allow_unused=False):
    """Loads weights written by save_npz (or by a converter) into `model`, strictly."""
    try:
        with np.load(path) as archive:
            table = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise CheckpointFormatError(f"{path} is not a readable weight archive ({error}). It is corrupt or "
                                    f"truncated: delete it and re-run the fetch step.") from error
    assign(model, table, source=str(path), allow_unused=allow_unused)
