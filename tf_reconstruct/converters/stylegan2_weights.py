"""StyleGAN2 config-f weights in the formats users hold -> weight tables for models/stylegan2.py and
models/mapping_network.py.

Formats (all read as {name: numpy array}):
  - `official`: NVIDIA TF1 variable names (`G_mapping/Dense0/weight`, `G_synthesis/64x64/Conv0_up/mod_weight`,
    `G_synthesis/noise3`, ...), e.g. dumped from the official pickle's `Gs.vars`, saved as .npz.
  - `rosinality`: the stylegan2-pytorch `g_ema` state dict (`style.1.weight`, `convs.0.conv.weight`, ...),
    saved as .npz (or a .pt file, if torch is installed).
  - `tf2_npy`: the StyleGAN2-TensorFlow-2.x ports' `.npy` dict: official names, possibly with a
    `synthesis/` / `mapping/` prefix and `:0` suffixes, which are stripped before matching.
Raw values get the equalised-learning-rate scales here: mapping lr multiplier 0.01.
"""

import math
import pathlib

import numpy as np

from tf_reconstruct.errors import CheckpointFormatError, UserWeightsRequiredError

MAPPING_LR_MULTIPLIER = 0.01


def read_weight_dict(path):
    """Reads {name: array} from .npz, .npy (a pickled dict) or .pt (needs torch)."""
    path = pathlib.Path(path) if path else None
    if path is None or not path.exists():
        raise UserWeightsRequiredError(
            "StyleGAN2 config-f synthesis weights are on no package registry, so they must be supplied: pass "
            "--generator_weights=/path/to/stylegan2-ffhq-config-f.{npz,npy,pt} holding the official NVIDIA "
            "variables, the rosinality stylegan2-pytorch g_ema state dict, or a StyleGAN2-TensorFlow-2.x .npy dict."
            + (f" Nothing exists at {path}." if path else ""))
    if path.suffix == ".npz":
        with np.load(path) as archive:
            return {key: archive[key] for key in archive.files}
    if path.suffix == ".npy":
        value = np.load(path, allow_pickle=True)
        return dict(value.item())
    if path.suffix in (".pt", ".pth"):
        import torch  # only for users who hold the PyTorch file
        state = torch.load(path, map_location="cpu")
        state = state.get("g_ema", state)
        return {key: tensor.numpy() for key, tensor in state.items()}
    raise CheckpointFormatError(f"{path}: unknown weight file type {path.suffix}; use .npz, .npy or .pt")


def detect_format(weights):
    names = set(weights)
    if any(name.startswith("convs.") or name.startswith("style.") for name in names):
        return "rosinality"
    if any("G_synthesis/" in name for name in names):
        return "official"
    if any(name.split(":")[0].endswith("Conv0_up/weight") for name in names):
        return "tf2_npy"
    raise CheckpointFormatError("weights are in no known StyleGAN2 format (official TF1 names, rosinality state "
                                "dict, or a StyleGAN2-TensorFlow-2.x .npy dict)")


def _modulated(table, name, kernel_raw_kkio, mod_weight_raw_in_out, mod_bias_effective, bias, w_dim, noise=None):
    k, _, channels_in, _ = kernel_raw_kkio.shape
    table[f"{name}/kernel"] = kernel_raw_kkio / math.sqrt(channels_in * k * k)
    table[f"{name}/modulation_kernel"] = mod_weight_raw_in_out / math.sqrt(w_dim)
    table[f"{name}/modulation_bias"] = mod_bias_effective
    table[f"{name}/bias"] = bias.reshape(-1)
    if noise is not None:
        table[f"{name}/noise"] = noise


def _official_tables(weights, resolution, w_dim=512):
    def get(name):
        for candidate in (name, f"G_synthesis/{name}", f"G_mapping/{name}", f"synthesis/{name}", f"mapping/{name}"):
            if candidate in weights:
                return np.asarray(weights[candidate], dtype=np.float32)
        raise CheckpointFormatError(f"StyleGAN2 weights lack {name!r}")
    mapping = {}
    for index in range(8):
        mapping[f"mapping_dense_{index}/kernel"] = get(f"Dense{index}/weight") * (
            MAPPING_LR_MULTIPLIER / math.sqrt(get(f"Dense{index}/weight").shape[0]))
        mapping[f"mapping_dense_{index}/bias"] = get(f"Dense{index}/bias") * MAPPING_LR_MULTIPLIER
    synthesis = {"input/constant": get("4x4/Const/const").transpose(0, 2, 3, 1)}
    noise_index = [0]

    def layer(keras_name, scope, flip=False, has_noise=True):
        kernel = get(f"{scope}/weight")
        if flip:
            kernel = kernel[::-1, ::-1]
        noise = None
        if has_noise:
            noise = get(f"noise{noise_index[0]}")[0, 0][None, :, :, None] * get(f"{scope}/noise_strength")
            noise_index[0] += 1
        _modulated(synthesis, keras_name, kernel, get(f"{scope}/mod_weight"), get(f"{scope}/mod_bias") + 1.0,
                   get(f"{scope}/bias"), w_dim, noise)
    layer("conv1", "4x4/Conv")
    layer("to_rgb1", "4x4/ToRGB", has_noise=False)
    size, block = 8, 0
    while size <= resolution:
        layer(f"convs_{2 * block}", f"{size}x{size}/Conv0_up", flip=True)
        layer(f"convs_{2 * block + 1}", f"{size}x{size}/Conv1")
        layer(f"to_rgbs_{block}", f"{size}x{size}/ToRGB", has_noise=False)
        size, block = size * 2, block + 1
    return mapping, synthesis


def _rosinality_tables(weights, resolution, w_dim=512):
    def get(name):
        if name not in weights:
            raise CheckpointFormatError(f"rosinality StyleGAN2 state dict lacks {name!r}")
        return np.asarray(weights[name], dtype=np.float32)
    mapping = {}
    for index in range(8):
        weight = get(f"style.{index + 1}.weight")  # [out, in]
        mapping[f"mapping_dense_{index}/kernel"] = weight.T * (MAPPING_LR_MULTIPLIER / math.sqrt(weight.shape[1]))
        mapping[f"mapping_dense_{index}/bias"] = get(f"style.{index + 1}.bias") * MAPPING_LR_MULTIPLIER
    synthesis = {"input/constant": get("input.input").transpose(0, 2, 3, 1)}

    def layer(keras_name, prefix, noise_name=None, rgb=False):
        kernel = get(f"{prefix}.conv.weight")[0].transpose(2, 3, 1, 0)  # [1, out, in, k, k] -> [k, k, in, out]
        noise = None
        if noise_name:
            noise = get(noise_name)[0, 0][None, :, :, None] * get(f"{prefix}.noise.weight").reshape(())
        bias = get(f"{prefix}.bias") if rgb else get(f"{prefix}.activate.bias")
        _modulated(synthesis, keras_name, kernel, get(f"{prefix}.conv.modulation.weight").T,
                   get(f"{prefix}.conv.modulation.bias"), bias, w_dim, noise)
    layer("conv1", "conv1", "noises.noise_0")
    layer("to_rgb1", "to_rgb1", rgb=True)
    size, block = 8, 0
    while size <= resolution:
        layer(f"convs_{2 * block}", f"convs.{2 * block}", f"noises.noise_{2 * block + 1}")
        layer(f"convs_{2 * block + 1}", f"convs.{2 * block + 1}", f"noises.noise_{2 * block + 2}")
        layer(f"to_rgbs_{block}", f"to_rgbs.{block}", rgb=True)
        size, block = size * 2, block + 1
    return mapping, synthesis


def stylegan2_tables(weights, resolution=1024, w_dim=512):
    """(mapping table, synthesis table) from a weight dict in any supported format."""
    fmt = detect_format(weights)
    if fmt == "rosinality":
        return _rosinality_tables(weights, resolution, w_dim)
    cleaned = {name.split(":")[0]: value for name, value in weights.items()}
    return _official_tables(cleaned, resolution, w_dim)
