"""Where the baselines' pairs and trained models live: checkpoints/baselines/<attacking extractor>/."""

import pathlib

from tf_reconstruct.paths import checkpoint_dir


def baselines_dir(override, attack_model, checkpoint_root=None):
    return pathlib.Path(override) if override else checkpoint_dir(checkpoint_root) / "baselines" / attack_model
