"""Where inpainting's derived files live (remade by `python -m tf_reconstruct.train_inpainting`, never
committed): checkpoints/inpainting/data/ and checkpoints/inpainting/<variant>_<size>/."""

import pathlib

from tf_reconstruct.paths import checkpoint_dir


def data_dir(override, checkpoint_root=None):
    return pathlib.Path(override) if override else checkpoint_dir(checkpoint_root) / "inpainting" / "data"


def network_dir(override, variant, size, checkpoint_root=None):
    return pathlib.Path(override) if override else checkpoint_dir(checkpoint_root) / "inpainting" / f"{variant}_{size}"
