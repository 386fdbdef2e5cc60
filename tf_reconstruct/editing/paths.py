"""Where editing's derived files live (remade by `python -m tf_reconstruct.train_boundaries`, never committed):
checkpoints/editing/<generator>/samples/ and checkpoints/boundaries/<generator>/."""

import pathlib

from tf_reconstruct.paths import checkpoint_dir


def samples_dir(override, generator_name, checkpoint_root=None):
    return pathlib.Path(override) if override else checkpoint_dir(checkpoint_root) / "editing" / generator_name / "samples"


def boundaries_dir(override, generator_name, checkpoint_root=None):
    return pathlib.Path(override) if override else checkpoint_dir(checkpoint_root) / "boundaries" / generator_name
