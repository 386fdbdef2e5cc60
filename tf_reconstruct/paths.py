"""Where the checkpoint cache lives.

The cache defaults to `checkpoints/` at the repository root (beside this package) and
can be moved with the environment variable TF_RECONSTRUCT_CHECKPOINTS.
"""

import os
import pathlib

from tf_reconstruct.errors import MissingCheckpointError

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
FETCH_COMMAND = "python -m tf_reconstruct.checkpoints fetch"


def checkpoint_dir(override=None):
    """Returns the checkpoint cache directory as a Path (it may not exist yet)."""
    if override is not None:
        return pathlib.Path(override)
    env = os.environ.get("TF_RECONSTRUCT_CHECKPOINTS")
    return pathlib.Path(env) if env else REPO_ROOT / "checkpoints"


def require_file(path, what):
    """Returns `path` if it is a file, else raises an error naming the fetch command."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise MissingCheckpointError(
            f"{what} is missing: expected {path}. Run `{FETCH_COMMAND}` to download, verify and "
            f"convert the models (or set TF_RECONSTRUCT_CHECKPOINTS to a cache that has them).")
    return path
