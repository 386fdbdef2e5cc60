"""Color FERET (NIST), read from its DVD layout (../shared/data/colorferet/LAYOUT.txt):

    <root>/dvd1|dvd2/data/images/<sid>/<sid>_<yymmdd>_<pose>[_<flag>].ppm.bz2
    <root>/dvd1|dvd2/data/ground_truths/name_value/<sid>/<image>.txt   (key=value lines: pose, eye coordinates)

    load_colorferet(data_dir, poses=FRONTAL) -> FaceDataset (datasets/base.py)

Identities are subject ids; image ids are the file names without .ppm.bz2. By default only the frontal
poses (fa, fb) are kept, as the paper compares frontal faces. `data/smaller` is used when `data/images`
is absent. The reader is tolerant: a DVD folder or either size may be missing.
"""

import bz2
import pathlib

import cv2
import numpy as np

from tf_reconstruct.datasets.base import FaceDataset
from tf_reconstruct.datasets.errors import DatasetError

FRONTAL = ("fa", "fb")
WHERE_TO_GET = ("Color FERET is licensed by NIST and is not shipped with tf_reconstruct: request it at "
                "https://www.nist.gov/itl/products-and-services/color-feret-database, then pass "
                "--data_dir=<folder holding dvd1/ and dvd2/>, each with data/images/<subject>/<image>.ppm.bz2 and "
                "data/ground_truths/name_value/<subject>/<image>.txt")


def parse_name_value(text):
    """A name_value ground-truth file -> {key: value}; '<key>=<value>' lines, others ignored."""
    record = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            record[key.strip()] = value.strip()
    return record


def eye_coordinates(record):
    """(left (x, y), right (x, y)) from a ground-truth record, or None when not annotated."""
    try:
        left = tuple(float(v) for v in record["left_eye_coordinates"].split())
        right = tuple(float(v) for v in record["right_eye_coordinates"].split())
    except (KeyError, ValueError):
        return None
    return (left, right) if len(left) == 2 and len(right) == 2 else None


def pose_of(image_id, record=None):
    """The pose code: from the ground truth when it has one, else the file name's third field."""
    if record and record.get("pose"):
        return record["pose"]
    parts = image_id.split("_")
    return parts[2] if len(parts) >= 3 else ""


def find_images(root):
    """{image id: path} over both DVDs."""
    files = {}
    for disc in sorted(path for path in root.iterdir() if path.is_dir()):
        for size in ("images", "smaller"):
            folder = disc / "data" / size
            if folder.is_dir():
                for path in sorted(folder.glob("*/*.ppm.bz2")):
                    files.setdefault(path.name[:-len(".ppm.bz2")], path)
                break
    return files


def read_ppm_bz2(path):
    """RGB uint8 from a bzip2-compressed PPM; names the file if it is corrupt."""
    try:
        data = bz2.decompress(path.read_bytes())
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: not a readable .ppm.bz2 ({error})") from error
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError(f"{path}: decompressed, but not a readable PPM image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def ground_truth(root, image_id):
    """The image's name_value record ({} when absent)."""
    subject = image_id.split("_")[0]
    for path in root.glob(f"*/data/ground_truths/name_value/{subject}/{image_id}.txt"):
        return parse_name_value(path.read_text(errors="replace"))
    return {}


def load_colorferet(data_dir, poses=FRONTAL):
    root = pathlib.Path(data_dir) if data_dir else None
    if root is None or not root.is_dir():
        raise DatasetError(f"Color FERET not found at {data_dir}. {WHERE_TO_GET}")
    files = find_images(root)
    if not files:
        raise DatasetError(f"no Color FERET images under {root}. {WHERE_TO_GET}")
    images_by_identity = {}
    for image_id in sorted(files):
        if poses and pose_of(image_id, ground_truth(root, image_id)) not in poses:
            continue
        images_by_identity.setdefault(image_id.split("_")[0], []).append(image_id)
    if not images_by_identity:
        raise DatasetError(f"Color FERET at {root} has no images with poses {poses}")
    return FaceDataset("colorferet", images_by_identity,
                       lambda ids: {image_id: read_ppm_bz2(files[image_id]) for image_id in ids}, source=str(root))
