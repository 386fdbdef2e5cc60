"""The paper's selection: N identities chosen from a seed, one source image each (the attacked template);
type II compares a reconstruction with the identity's other images.

    select_identities({identity: [image ids]}, count, seed, min_images) -> [identity] (sorted)
    excluded_identities(run folders, flag) -> the identities those runs selected (their selection.json)
"""

import json
import pathlib

import numpy as np

from tf_reconstruct.datasets.errors import DatasetError


def select_identities(images_by_identity, count, seed, min_images=2):
    """`count` identities with at least `min_images` images, drawn without replacement by `seed`, sorted.

    The draw is over the sorted eligible names, so it depends only on the dataset, the seed and the count.
    """
    eligible = sorted(name for name, images in images_by_identity.items() if len(images) >= min_images)
    if len(eligible) < count:
        raise DatasetError(f"only {len(eligible)} identities have >= {min_images} images; ask for at most that "
                           f"many (--num_identities) or use --eval_type=I, which needs one image each")
    chosen = np.random.default_rng(seed).choice(len(eligible), size=count, replace=False)
    return [eligible[index] for index in sorted(chosen)]


def split_source(images):
    """(source image, other images): the source is the first image id in sorted order."""
    ordered = sorted(images)
    return ordered[0], ordered[1:]


def excluded_identities(run_dirs, flag="--exclude_identities_from"):
    """The identities other runs selected (their selection.json), which a study of other people must not draw;
    a folder without one is a DatasetError naming `flag`, the option that gave it."""
    excluded = set()
    for run_dir in run_dirs:
        path = pathlib.Path(run_dir) / "selection.json"
        if not path.is_file():
            raise DatasetError(f"{flag}={run_dir}: no selection.json there; give run folders such as "
                               f"experiments/lfw/<run_name>, separated by commas")
        excluded |= set(json.loads(path.read_text())["identities"])
    return excluded
