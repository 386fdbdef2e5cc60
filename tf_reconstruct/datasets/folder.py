"""Any labelled set the user brings: a folder of <identity>/<images>.

    load_folder(data_dir) -> FaceDataset (datasets/base.py)
"""

import pathlib

import cv2

from tf_reconstruct.datasets.base import FaceDataset
from tf_reconstruct.datasets.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp")


def read_files(files, image_ids):
    """{id: RGB uint8} for ids of a {id: path} map; an unreadable file is named in the error."""
    images = {}
    for image_id in image_ids:
        image = cv2.imread(str(files[image_id]), cv2.IMREAD_COLOR)
        if image is None:
            raise DatasetError(f"{files[image_id]}: not a readable image (delete or replace it)")
        images[image_id] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return images


def load_folder(data_dir):
    data_dir = pathlib.Path(data_dir)
    if not data_dir.is_dir():
        raise DatasetError(f"no folder at {data_dir}: pass --data_dir=<folder of <identity>/<image> files>")
    files, images_by_identity = {}, {}
    for folder in sorted(path for path in data_dir.iterdir() if path.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                image_id = f"{folder.name}/{path.stem}"
                files[image_id] = path
                images_by_identity.setdefault(folder.name, []).append(image_id)
    if not files:
        raise DatasetError(f"{data_dir} holds no <identity>/<image> files ({', '.join(IMAGE_SUFFIXES)})")
    return FaceDataset("folder", images_by_identity, lambda ids: read_files(files, ids), source=str(data_dir))
