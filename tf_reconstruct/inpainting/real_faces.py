"""Real LFW faces for the patent's network: photos of identities outside the inpainting test set, warped into
the generator's frame and parsed, as resumable stores (one for training, one for validation).

    test_identities(images_by_identity, count, seed) -> the inpainting test set's LFW identities
    split_photos(images_by_identity, excluded, count, validation, seed, per_identity) -> (training, validation)
        image ids, from disjoint identities, none of them excluded
    build_real_store(dataset, photos, generator, parser, store_dir, size, shard_size) -> faces held

Each photo goes through the test faces' own path (optimize/photo_inversion.align_to_generator_frame, then
the parser in that frame), so training sees real faces exactly as the network will meet them. A photo
MTCNN cannot read is left out and named in the log. Validation identities are disjoint from training
ones, so the validation hole L1 that stops training measures filling people the network never saw.
"""

import hashlib

import numpy as np
from absl import logging

from tf_reconstruct.align import photo_align
from tf_reconstruct.datasets import selection
from tf_reconstruct.inpainting import training_data
from tf_reconstruct.optimize import photo_inversion


def test_identities(images_by_identity, count, seed):
    """The identities inpainting_eval draws its LFW test faces from (one photo each)."""
    return selection.select_identities(images_by_identity, count, seed, min_images=1)


def split_photos(images_by_identity, excluded, count, validation, seed, per_identity=2):
    """(training image ids, validation image ids). Identities not `excluded` are shuffled by `seed`; the
    first `validation` give one photo each (their first in name order) to validation; from the others, at
    most `per_identity` photos each (their first in name order: LFW's large identities would otherwise
    dominate), `count` are drawn by `seed`. Both lists are sorted."""
    excluded = set(excluded)
    eligible = sorted(name for name in images_by_identity if name not in excluded)
    if len(eligible) <= validation:
        raise ValueError(f"only {len(eligible)} LFW identities lie outside the test set; ask for fewer than that "
                         f"many validation faces")
    rng = np.random.default_rng(seed)
    order = [eligible[index] for index in rng.permutation(len(eligible))]
    held = sorted(sorted(images_by_identity[name])[0] for name in order[:validation])
    pool = sorted(photo for name in order[validation:] for photo in sorted(images_by_identity[name])[:per_identity])
    if count > len(pool):
        raise ValueError(f"only {len(pool)} LFW photos (at most {per_identity} per identity) lie outside the test "
                         f"and validation identities; ask for at most that many --real_faces")
    chosen = rng.choice(len(pool), size=count, replace=False)
    return sorted(pool[index] for index in chosen), held


def frame_and_parse(photos, generator, parser, size):
    """(faces [n, S, S, 3] uint8, labels [n, S, S] uint8, names) of {name: photo} that MTCNN can read."""
    images, labels, names = [], [], []
    for name, photo in photos.items():
        try:
            framed, _ = photo_inversion.align_to_generator_frame(photo, name, generator, size)
            labels.append(parser(framed, name).astype(np.uint8))
        except photo_align.NoFaceFoundError as error:
            logging.info("training photo left out: %s", error)
            continue
        images.append(framed)
        names.append(name)
    return np.stack(images), np.stack(labels), np.array(names)


def build_real_store(dataset, photos, generator, parser, store_dir, size=256, shard_size=200):
    """Frames and parses `photos` (LFW image ids) into store_dir, resumable by shard; returns how many photos
    were asked for (a shard keeps the faces MTCNN could read)."""
    settings = {"source": "lfw", "size": size, "shard_size": shard_size, "photos": len(photos),
                "photos_sha256": hashlib.sha256("\n".join(photos).encode()).hexdigest()}
    shards = -(-len(photos) // shard_size)

    def make(index):
        wanted = photos[index * shard_size:(index + 1) * shard_size]
        read = dataset.read(wanted)
        return frame_and_parse({name: read[name] for name in wanted}, generator, parser, size)

    training_data.write_shards(store_dir, settings, shards, make, f"framing and parsing LFW photos ({store_dir.name})")
    return len(photos)
