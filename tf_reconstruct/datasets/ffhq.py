"""FFHQ: a folder of aligned face images with no identity labels (type I only); every image is its own identity.

    load_ffhq(data_dir) -> FaceDataset (datasets/base.py)
"""

import pathlib

from tf_reconstruct.datasets.base import FaceDataset
from tf_reconstruct.datasets.errors import DatasetError
from tf_reconstruct.datasets.folder import IMAGE_SUFFIXES, read_files


def load_ffhq(data_dir):
    data_dir = pathlib.Path(data_dir)
    if not data_dir.is_dir():
        raise DatasetError(f"FFHQ images not found at {data_dir}: pass --data_dir=<folder of FFHQ .png images>")
    files = {path.stem: path for path in sorted(data_dir.rglob("*")) if path.suffix.lower() in IMAGE_SUFFIXES}
    if not files:
        raise DatasetError(f"{data_dir} holds no images ({', '.join(IMAGE_SUFFIXES)}); pass --data_dir")
    return FaceDataset("ffhq", {stem: [stem] for stem in files}, lambda ids: read_files(files, ids),
                       labelled=False, source=str(data_dir))
