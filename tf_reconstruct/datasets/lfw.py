"""Labeled Faces in the Wild: the protocol files and images read straight from the .tgz or an extracted folder.

Image ids follow LFW: `<Name>_<NNNN>` is `<variant>/<Name>/<Name>_<NNNN>.jpg` (variant: lfw,
lfw-funneled or lfw-deepfunneled).
"""

import dataclasses
import pathlib
import tarfile

import cv2
import numpy as np

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
    source = pathlib.Path(source)
    wanted = set(image_ids)
    found = {}
    if not source.exists():
        raise DatasetError(f"LFW not found at {source}: pass --data_dir pointing to lfw*.tgz or its extracted folder")
    if source.is_dir():
        for path in source.rglob("*.jpg"):
            if path.stem in wanted:
                found[path.stem] = _decode(path.read_bytes(), path)
    else:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                stem = pathlib.PurePosixPath(member.name).stem
                if member.isfile() and stem in wanted and member.name.endswith(".jpg"):
                    found[stem] = _decode(archive.extractfile(member).read(), f"{source}:{member.name}")
                    if len(found) == len(wanted):
                        break
    missing = wanted - set(found)
    if missing:
        raise DatasetError(f"{len(missing)} LFW images not found in {source} (first: {sorted(missing)[:3]})")
    return found
