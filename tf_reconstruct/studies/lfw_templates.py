"""Real attacked templates for studies: the source photo of N seeded LFW identities, MTCNN-aligned and embedded.

    lfw_source_templates(data_dir, count, seed, extractor) -> (image ids [N], aligned faces [N, 112, 112, 3], [N, D])
"""

import pathlib

import numpy as np

from tf_reconstruct.align import photo_align
from tf_reconstruct.datasets import lfw, selection


def lfw_source_templates(data_dir, count, seed, extractor):
    data_dir = pathlib.Path(data_dir)
    names = lfw.parse_names((data_dir / "lfw-names.txt").read_text())
    identities = selection.select_identities(names, count, seed)
    sources = [selection.split_source(names[identity])[0] for identity in identities]
    images = lfw.read_images(data_dir / "lfw-deepfunneled.tgz", sources)
    faces = np.stack([photo_align.align_photo(images[source], source) for source in sources])
    return sources, faces, extractor(faces).numpy()
