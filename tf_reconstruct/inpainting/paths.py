"""Where inpainting's derived files live (remade by `python -m tf_reconstruct.train_inpainting`, never
committed): checkpoints/inpainting/data/ (generated faces), real_training/ and real_validation/ (LFW photos
outside the test set) and checkpoints/inpainting/<variant>_<size>[_<style>]/ (a network; the style suffix
only for a style weight other than Liu et al.'s)."""

import pathlib

from tf_reconstruct.paths import checkpoint_dir


def data_dir(override, checkpoint_root=None):
    return pathlib.Path(override) if override else checkpoint_dir(checkpoint_root) / "inpainting" / "data"


def real_dir(split, checkpoint_root=None):
    """LFW training or validation photos in the generator's frame (split: "training" or "validation")."""
    return checkpoint_dir(checkpoint_root) / "inpainting" / f"real_{split}"


def network_dir(override, variant, size, checkpoint_root=None, style="liu2018"):
    if override:
        return pathlib.Path(override)
    suffix = "" if style == "liu2018" else f"_{style}"
    return checkpoint_dir(checkpoint_root) / "inpainting" / f"{variant}_{size}{suffix}"


def trained_network_dir(override, variant, checkpoint_root=None, style="liu2018"):
    """The folder of `variant`'s trained weights: the patent's 256 px, else 128 px (a tight budget's size);
    when neither is trained, the 256-px folder, so that loading it names the training command."""
    if override:
        return pathlib.Path(override)
    for size in (256, 128):
        folder = network_dir(None, variant, size, checkpoint_root, style)
        if (folder / "generator.weights.h5").is_file():
            return folder
    return network_dir(None, variant, 256, checkpoint_root, style)
