"""Generated faces with their parsing maps, the patent network's training data, as a resumable store.

    build_store(generator, parser, store_dir, count, settings) -> faces held
    write_shards(store_dir, settings, shards, make, description): the resumable shard loop of every store
    load_store(store_dir, limit) -> {"image": [N, S, S, 3] uint8, "labels": [N, S, S] uint8}

The faces are drawn as the labelled samples of editing are (z per shard from (seed, shard), w truncated
at `truncation`), rendered from w at `resolution`: they are in the generator's own frame, the frame the
test photos are warped into (optimize/photo_inversion.align_to_generator_frame), and no test face is
among them. Each is parsed (inpainting/parsing.py); a face the parser cannot read is left out.
"""

import dataclasses
import json
import pathlib
import time

import numpy as np
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.align import photo_align
from tf_reconstruct.editing import samples
from tf_reconstruct.errors import TfReconstructError

SHARD_PATTERN = "faces-{:05d}.npz"


class TrainingDataError(TfReconstructError, ValueError):
    """A training store that is missing or was made with other settings."""


# The labelled samples of editing use seed 0: seed 1 draws other faces.
DEFAULT_SETTINGS = samples.SampleSettings(shard_size=200, seed=1)


def make_shard(generator, parser, settings, index):
    _, w = samples.draw_latents(generator, settings, index)
    faces = samples.render_w(generator, w, settings.resolution)
    images, labels = [], []
    for number, face in enumerate(faces):
        try:
            labels.append(parser(face, f"generated face {number} of shard {index}").astype(np.uint8))
        except photo_align.NoFaceFoundError:
            continue
        images.append(face)
    return np.stack(images), np.stack(labels)


def build_store(generator, parser, store_dir, count, settings=DEFAULT_SETTINGS):
    shards = -(-count // settings.shard_size)
    write_shards(store_dir, dataclasses.asdict(settings), shards,
                 lambda index: make_shard(generator, parser, settings, index), "rendering and parsing training faces")
    return shards * settings.shard_size


def write_shards(store_dir, settings, shards, make, description):
    """Makes each missing shard `make(index) -> (images, labels[, names])` of `shards` into store_dir, atomically,
    after checking that the store was made with these `settings` (a dict, kept in settings.json)."""
    store_dir = pathlib.Path(store_dir)
    settings_file = store_dir / "settings.json"
    if settings_file.is_file() and json.loads(settings_file.read_text()) != settings:
        raise TrainingDataError(f"{store_dir} holds faces made with other settings; use another --data_dir or "
                                f"delete it")
    store_dir.mkdir(parents=True, exist_ok=True)
    atomic_files.write_text(settings_file, json.dumps(settings, indent=1))
    missing = [index for index in range(shards) if not (store_dir / SHARD_PATTERN.format(index)).is_file()]
    for index in tqdm(missing, desc=description, unit="shard"):
        started = time.time()
        parts = make(index)
        with atomic_files.replacing(store_dir / SHARD_PATTERN.format(index)) as temporary:
            np.savez(temporary, **dict(zip(("image", "labels", "names"), parts)))
        logging.info("shard %d of %s: %d faces parsed in %.0f s", index, store_dir, len(parts[0]),
                     time.time() - started)


def load_store(store_dir, limit=None):
    paths = sorted(pathlib.Path(store_dir).glob("faces-[0-9]*.npz"))
    if not paths:
        raise TrainingDataError(f"no training faces in {store_dir}: run `python -m tf_reconstruct.train_inpainting` "
                                f"to make them")
    images, labels = [], []
    for path in paths:
        with np.load(path) as shard:
            images.append(shard["image"])
            labels.append(shard["labels"])
        if limit and sum(len(part) for part in images) >= limit:
            break
    return {"image": np.concatenate(images)[:limit], "labels": np.concatenate(labels)[:limit]}
