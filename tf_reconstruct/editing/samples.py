"""Generated faces labelled by the attribute classifiers, as a sharded, resumable store (InterfaceGAN's data).

Each sample: z ~ N(0, I) -> w = mapping(z), truncated to lerp(w_avg, w, truncation) (the engine's own
restraint, so the boundaries are learnt where reconstructions live) -> the face rendered from w in every
row at `resolution` (the whole FFHQ frame: at 256 px the face box is about 120 px, more than the 64-px
SSR-Net input and near the pose and expression models' 224) -> MTCNN's subject box -> every classifier of
attributes/classifiers.py. A face MTCNN does not find gets NaN labels and `found` False.

Shard k holds `shard_size` samples from the seed (seed, k). Files in `store_dir`:
  settings.json        the settings and the sha256 of the generator and classifier files; a store refuses to
                       grow or load under others, so labels and boundaries are reproducible derived files
  labels-00000.npz ... z [n, 512], w [n, 512], found [n] bool, and one [n] float array per attribute

    build_store(generator, classifiers, store_dir, count, settings, model_hashes) -> samples held
    load_store(store_dir) -> {"w": [N, 512], "found": [N], attribute: [N], ...}
"""

import dataclasses
import json
import pathlib
import time

import numpy as np
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.attributes import classifiers as attribute_classifiers
from tf_reconstruct.checkpoints import fetch
from tf_reconstruct.checkpoints.manifest import manifest_records
from tf_reconstruct.editing import render
from tf_reconstruct.errors import TfReconstructError

SHARD_PATTERN = "labels-{:05d}.npz"


class SampleStoreError(TfReconstructError, ValueError):
    """A labelled-sample store that is missing, empty, or made with other settings or models."""


@dataclasses.dataclass(frozen=True)
class SampleSettings:
    generator: str = "mobilestylegan"
    resolution: int = 256
    truncation: float = 0.7
    shard_size: int = 500
    seed: int = 0


def model_hashes(generator_name, classifier_names, generator_weights=None, checkpoint_root=None):
    """{file: sha256} of what the labels depend on: the generator's files and each classifier's models."""
    records = {record["name"]: record["sha256"] for record in manifest_records()}
    hashes = {}
    if generator_name == "mobilestylegan":
        for name in ("mobilestylegan_mapping_bin", "mobilestylegan_synthesis_bin"):
            hashes[name] = records[name]
    else:
        hashes[f"{generator_name}_weights"] = fetch.sha256_of(generator_weights)
    for classifier in classifier_names:
        for model in attribute_classifiers.CLASSIFIERS[classifier][0]:
            hashes[model] = records[model]
    return hashes


def draw_latents(generator, settings, index):
    """z [n, 512] and truncated w [n, 512] of shard `index`, from its own seed."""
    rng = np.random.default_rng([settings.seed, index])
    z = rng.standard_normal((settings.shard_size, 512)).astype(np.float32)
    w = generator.mapping(z, training=False).numpy()
    w_avg = generator.w_avg.astype(np.float32)
    return z, (w_avg + (w - w_avg) * settings.truncation).astype(np.float32)


def render_w(generator, w, resolution, batch_size=16):
    """Faces [n, R, R, 3] uint8 RGB of latents w [n, 512] (w in every row of w+)."""
    w_plus = np.repeat(np.asarray(w, np.float32)[:, None], generator.num_ws, axis=1)
    return render.render(generator, w_plus, resolution, batch_size)


def label_faces(faces, classifiers):
    """found [n] bool and {attribute: [n] float} (NaN where MTCNN finds no face) of RGB faces [n, R, R, 3]."""
    values = render.measure(faces, classifiers)
    attributes = [attribute for classifier in classifiers for attribute in classifier.attributes]
    labels = {attribute: np.array([value[attribute] for value in values], np.float32) for attribute in attributes}
    return np.isfinite(labels[attributes[0]]), labels


def _check_settings(store_dir, wanted):
    path = store_dir / "settings.json"
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved != wanted:
            changed = sorted(key for key in set(saved) | set(wanted) if saved.get(key) != wanted.get(key))
            raise SampleStoreError(f"{store_dir} holds samples made with other settings or models ({', '.join(changed)}"
                                   f"); use another --samples_dir or delete it")
    else:
        store_dir.mkdir(parents=True, exist_ok=True)
        atomic_files.write_text(path, json.dumps(wanted, indent=1))


def build_store(generator, classifiers, store_dir, count, settings, hashes, worker=(0, 1)):
    """Grows the store to at least `count` samples, shard by shard; returns the number it holds.

    worker (index, count): this process makes only the shards whose number is index modulo count, so
    several processes can fill one store (on 2 cores, two of them made a shard each in 215 s where one
    made one in 126 s, 1.17 times as fast: part of a face's time is single-threaded MTCNN work).
    """
    store_dir = pathlib.Path(store_dir)
    if generator.name != settings.generator:
        raise SampleStoreError(f"settings name generator {settings.generator} but the model is {generator.name}")
    wanted = {**dataclasses.asdict(settings), "classifiers": [classifier.name for classifier in classifiers],
              "sha256": hashes}
    _check_settings(store_dir, wanted)
    shards = -(-count // settings.shard_size)
    missing = [index for index in range(shards) if not (store_dir / SHARD_PATTERN.format(index)).is_file()
               and index % worker[1] == worker[0]]
    logging.info("labelled samples %s: %d of %d shards there, %d to make", store_dir, shards - len(missing), shards,
                 len(missing))
    for index in tqdm(missing, desc="labelling generated faces", unit="shard"):
        started = time.time()
        z, w = draw_latents(generator, settings, index)
        found, labels = label_faces(render_w(generator, w, settings.resolution), classifiers)
        with atomic_files.replacing(store_dir / SHARD_PATTERN.format(index)) as temporary:
            np.savez(temporary, z=z, w=w, found=found, **labels)
        logging.info("shard %d: %d faces (%d found) in %.0f s", index, len(z), found.sum(), time.time() - started)
    return shards * settings.shard_size


def load_store(store_dir):
    """{field: array} over every shard of the store, with its settings under 'settings'."""
    store_dir = pathlib.Path(store_dir)
    paths = sorted(store_dir.glob("labels-[0-9]*.npz"))
    if not (store_dir / "settings.json").is_file() or not paths:
        raise SampleStoreError(f"no labelled samples in {store_dir}: run `python -m tf_reconstruct.train_boundaries` "
                               f"to make them")
    parts = {}
    for path in paths:
        with np.load(path) as shard:
            for field in shard.files:
                parts.setdefault(field, []).append(shard[field])
    store = {field: np.concatenate(values) for field, values in parts.items()}
    store["settings"] = json.loads((store_dir / "settings.json").read_text())
    return store
