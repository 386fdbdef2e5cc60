"""Which latents an edit starts from: a .npy of w+ (or w), or a run folder of reconstructions.

    load_latents(path, num_ws) -> [(name, w+ [num_ws, 512])]

A .npy may hold one w+ [num_ws, 512], many [N, num_ws, 512], or w [512] / [N, 512] (repeated into every
row; N other than a generator's row count). A folder may be a run folder (its reconstructions/ hold
<name>_wplus.npy) or a folder of such files. Everything is validated before any work starts, and each
error names the file and the fix.
"""

import pathlib

import numpy as np

from tf_reconstruct.errors import TfReconstructError


class LatentError(TfReconstructError, ValueError):
    """Latents that cannot be edited (missing, unreadable, wrong shape, not finite)."""


# Row counts of the generators' w+ (MobileStyleGAN, StyleGAN2 at 1024): a [k, 512] array with one of them is a
# w+, not k w's, so a w+ of the other generator is refused rather than read as many faces.
W_PLUS_ROWS = (23, 18)


def _as_w_plus(array, num_ws, name):
    array = np.asarray(array)
    if array.ndim in (1, 2) and array.shape[-1] == 512 and (
            array.ndim == 1 or array.shape[0] not in (num_ws, *W_PLUS_ROWS)):
        array = np.repeat(np.atleast_2d(array)[:, None], num_ws, axis=1)   # w, one or many
    elif array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (num_ws, 512):
        raise LatentError(f"{name} has shape {np.shape(array)}: expected w+ [{num_ws}, 512] or [N, {num_ws}, 512] "
                          f"for this generator, or w [512] / [N, 512]. A w+ of another generator (another row count) "
                          f"cannot be edited here: choose --generator to match")
    if not np.all(np.isfinite(array)):
        raise LatentError(f"{name} holds NaN or Inf values")
    return array.astype(np.float32)


def load_latents(path, num_ws):
    path = pathlib.Path(path)
    if not path.exists():
        raise LatentError(f"--latents={path} does not exist: give a .npy of w+ or a run folder")
    if path.is_dir():
        files = sorted(path.glob("*_wplus.npy")) or sorted((path / "reconstructions").glob("*_wplus.npy"))
        if not files:
            raise LatentError(f"--latents={path} holds no <name>_wplus.npy (nor does its reconstructions/): give a "
                              f"run folder of `main`, a reconstructions folder or a .npy file")
        named = [(file.name[:-len("_wplus.npy")], file) for file in files]
    else:
        named = [(path.stem, path)]
    latents = []
    for name, file in named:
        try:
            array = np.load(file, allow_pickle=False)
        except (ValueError, OSError) as error:
            raise LatentError(f"{file} is not a readable .npy array ({error})") from error
        w_plus = _as_w_plus(array, num_ws, str(file))
        if len(w_plus) == 1:
            latents.append((name, w_plus[0]))
        else:
            latents.extend((f"{name}_{index:04d}", row) for index, row in enumerate(w_plus))
    return latents
