"""What every dataset reader returns: identities with their image ids, and a way to read images.

    dataset.images_by_identity: {identity: [image id]}
    dataset.read([image id]) -> {image id: RGB uint8 [H, W, 3]}
    iterate(dataset, identities) yields (identity, image id, RGB uint8 image)
"""

import dataclasses
from typing import Callable, Optional


@dataclasses.dataclass
class FaceDataset:
    """A face dataset.

    Attributes:
      name: 'lfw', 'colorferet', 'ffhq' or 'folder'.
      images_by_identity: identity -> sorted image ids. Unlabelled sets (FFHQ) give each image its own identity.
      read: reads images by id: [ids] -> {id: RGB uint8}.
      labelled: False when identities are not known (type II impossible).
      protocol_pairs: the dataset's own verification pairs [(first id, second id, same)] (LFW pairs.txt),
        used by the `pairs` impostor mode, or None.
      source: where the data was read from, for the run manifest.
    """
    name: str
    images_by_identity: dict
    read: Callable
    labelled: bool = True
    protocol_pairs: Optional[list] = None
    source: str = ""


def iterate(dataset, identities, chunk=64):
    """Yields (identity, image id, RGB uint8 image) for every image of `identities`, reading in chunks."""
    wanted = [(identity, image) for identity in identities for image in dataset.images_by_identity[identity]]
    for start in range(0, len(wanted), chunk):
        part = wanted[start:start + chunk]
        images = dataset.read([image for _, image in part])
        for identity, image in part:
            yield identity, image, images[image]
