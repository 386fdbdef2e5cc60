"""Labeled Faces in the Wild: the protocol files and images read straight from the .tgz or an extracted folder.

Image ids follow LFW: `<Name>_<NNNN>` is `<variant>/<Name>/<Name>_<NNNN>.jpg` (variant: lfw,
lfw-funneled or lfw-deepfunneled).

    load_lfw(data_dir) -> FaceDataset (datasets/base.py)
"""

import dataclasses
import pathlib
import tarfile

import cv2
import numpy as np

from tf_reconstruct.datasets.base import FaceDataset
from tf_reconstruct.datasets.errors import DatasetError


@dataclasses.dataclass(frozen=True)
class Pair:
    first: str    # image id, e.g. "Abel_Pacheco_0001"
    second: str
    same: bool


def image_id(name, number):
    return f"{name}_{int(number):04d}"


def parse_pairs(text):
    """Parses pairs.txt / pairsDevTrain.txt / pairsDevTest.txt text into a list of Pair.

    The first line is either "<folds> <pairs per half-fold>" (pairs.txt) or "<pairs per half>" (Dev files);
    then matched lines "name n1 n2" and mismatched lines "name1 n1 name2 n2".
    """
    lines = [line.split() for line in text.strip().splitlines()]
    pairs = []
    for number, fields in enumerate(lines[1:], start=2):
        if len(fields) == 3:
            pairs.append(Pair(image_id(fields[0], fields[1]), image_id(fields[0], fields[2]), True))
        elif len(fields) == 4:
            pairs.append(Pair(image_id(fields[0], fields[1]), image_id(fields[2], fields[3]), False))
        else:
            raise DatasetError(f"pairs file line {number}: expected 3 or 4 fields, got {fields}")
    header = [int(value) for value in lines[0]]
    expected = header[0] * header[1] * 2 if len(header) == 2 else header[0] * 2
    if len(pairs) != expected:
        raise DatasetError(f"pairs file header promises {expected} pairs, found {len(pairs)}")
    return pairs


def parse_people(text):
    """Parses people.txt / peopleDev*.txt into [(name, image count)] (all folds concatenated)."""
    people = []
    for fields in (line.split() for line in text.strip().splitlines()[1:]):
        if len(fields) == 2:
            people.append((fields[0], int(fields[1])))
        elif len(fields) != 1:
            raise DatasetError(f"people file: unexpected line {fields}")
    return people


def parse_names(text):
    """Parses lfw-names.txt ("<name> <image count>" per line) into {name: [image ids]}."""
    images = {}
    for number, fields in enumerate((line.split() for line in text.strip().splitlines()), start=1):
        if len(fields) != 2 or not fields[1].isdigit():
            raise DatasetError(f"lfw-names.txt line {number}: expected '<name> <count>', got {fields}")
        images[fields[0]] = [image_id(fields[0], index) for index in range(1, int(fields[1]) + 1)]
    return images


def _decode(data, where):
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError(f"{where}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_images(source, image_ids):
    """Reads LFW images by id from a .tgz (one sequential pass) or an extracted folder: {id: RGB uint8}."""
    return ImageSource(source).read(image_ids)


class ImageSource:
    """An LFW .tgz or extracted folder, indexed on first use so that reads in many chunks cost one pass.

    A .tgz is read once per process (about 1.3 s), keeping the encoded JPEG bytes (about 117 MB for all of LFW),
    so the thousands of photos of the `pairs` protocol, read in chunks, do not cost a pass per chunk.
    """

    def __init__(self, source):
        self.source = pathlib.Path(source)
        if not self.source.exists():
            raise DatasetError(f"LFW not found at {self.source}: pass --data_dir pointing to lfw*.tgz or its "
                               f"extracted folder")
        self._paths = None      # folder: {id: path}
        self._encoded = None    # .tgz: {id: JPEG bytes}, once read in full

    def read(self, image_ids):
        wanted = set(image_ids)
        if self.source.is_dir():
            if self._paths is None:
                self._paths = {path.stem: path for path in self.source.rglob("*.jpg")}
            found = {i: _decode(self._paths[i].read_bytes(), self._paths[i]) for i in wanted if i in self._paths}
        else:
            if self._encoded is None:
                self._encoded = self._read_archive()
            found = {i: _decode(self._encoded[i], f"{self.source}:{i}") for i in wanted if i in self._encoded}
        missing = wanted - set(found)
        if missing:
            raise DatasetError(f"{len(missing)} LFW images not found in {self.source} (first: {sorted(missing)[:3]})")
        return found

    def _read_archive(self):
        # Once per process and archive version: one process (a notebook, the tests' in-process commands)
        # may open LFW many times.
        status = self.source.stat()
        key = (str(self.source.resolve()), status.st_size, status.st_mtime_ns)
        if key not in _ARCHIVES:
            with tarfile.open(self.source, "r:gz") as archive:
                _ARCHIVES[key] = {pathlib.PurePosixPath(member.name).stem: archive.extractfile(member).read()
                                  for member in archive if member.isfile() and member.name.endswith(".jpg")}
        return _ARCHIVES[key]


# {(archive path, size, mtime): {image id: JPEG bytes}}, filled by LFW._read_archive.
_ARCHIVES = {}


# Preference when several variants are present: the paper's alignment-agnostic MTCNN step works on all.
VARIANTS = ("lfw-deepfunneled", "lfw-funneled", "lfw")


def find_images(data_dir):
    """The images source in `data_dir`: a variant's .tgz or extracted folder (or `data_dir` itself if it is one)."""
    data_dir = pathlib.Path(data_dir)
    if data_dir.is_file() and data_dir.name.endswith((".tgz", ".tar.gz")):
        return data_dir
    for variant in VARIANTS:
        for candidate in (data_dir / f"{variant}.tgz", data_dir / variant):
            if candidate.exists():
                return candidate
    if data_dir.is_dir() and any(data_dir.glob("*/*_0001.jpg")):
        return data_dir
    raise DatasetError(f"no LFW images under {data_dir}: expected one of "
                       f"{', '.join(v + '.tgz' for v in VARIANTS)} or its extracted folder; pass --data_dir")


def list_image_ids(source):
    """All image ids in a .tgz or folder (used when lfw-names.txt is absent)."""
    source = pathlib.Path(source)
    if source.is_dir():
        return sorted(path.stem for path in source.rglob("*.jpg"))
    with tarfile.open(source, "r:gz") as archive:
        return sorted(pathlib.PurePosixPath(name).stem for name in archive.getnames() if name.endswith(".jpg"))


def load_lfw(data_dir):
    """LFW from a folder holding the images (.tgz or extracted, any variant) and the protocol files.

    Identities and their images come from lfw-names.txt when present, else from the image files;
    pairs.txt, when present, gives the `pairs` impostor mode.
    """
    data_dir = pathlib.Path(data_dir)
    if not data_dir.exists():
        raise DatasetError(f"LFW not found at {data_dir}: pass --data_dir=<folder with lfw-deepfunneled.tgz (or lfw.tgz, "
                           f"lfw-funneled.tgz, or an extracted folder) and pairs.txt>")
    source = find_images(data_dir)
    folder = data_dir if data_dir.is_dir() else data_dir.parent
    names_file = folder / "lfw-names.txt"
    if names_file.is_file():
        images_by_identity = parse_names(names_file.read_text())
    else:
        images_by_identity = {}
        for image in list_image_ids(source):
            images_by_identity.setdefault(image.rsplit("_", 1)[0], []).append(image)
    pairs_file = folder / "pairs.txt"
    pairs = parse_pairs(pairs_file.read_text()) if pairs_file.is_file() else None
    images = ImageSource(source)
    return FaceDataset("lfw", images_by_identity, images.read,
                       protocol_pairs=[(p.first, p.second, p.same) for p in pairs] if pairs else None,
                       source=str(source))
