"""The paper's selection: N identities chosen from a seed, one source image each (the attacked template);
type II compares a reconstruction with the identity's other images.

    select_identities({identity: [image ids]}, count, seed, min_images) -> [identity] (sorted)
"""

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
