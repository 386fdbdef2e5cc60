"""Generated (latent, template, face) pairs that both baselines learn from, as a sharded, resumable store.

Each pair: z ~ N(0, I) -> w = mapping(z), truncated to lerp(w_avg, w, 0.7) (the engine's restraint, so
the Mapping predicts latents the attack itself would reach). A `mixing_fraction` of the pairs mixes a
second w from a random row on (StyleGAN's style mixing), so the w+ variant sees more than the w manifold.
The face is rendered at `resolution` (the generator stops early; 256 px, since the warp reads a 256-px
image anyway and a face costs 0.15 s there against 0.36 s at 512 on an AVX2 CPU) in `precision`, warped by the fixed
generator warp into NbNet's frame (the ArcFace crop with a `margin` on every side, 160x160 by default),
rounded to uint8, and its centre 112x112 is embedded by the attacking extractor in float32: the stored
template is exactly what a system would compute from the stored crop.

Shard k holds `shard_size` pairs drawn from the seed (seed, k), so shards are independent, a store grows
shard by shard, and the same settings give the same pairs. Files in `store_dir`:
  settings.json         the settings; a store refuses to grow or load under others
  target.json           the pairs the last build was asked for: a store with fewer shards is incomplete
  pairs-00000.npz ...   z [n, 512], w [n, 512], w_mix [n, 512], crossover [n] int32 (w+ rows >= crossover
                        take w_mix; num_ws means unmixed), template [n, D] float32, face [n, S, S, 3] uint8
"""

import dataclasses
import json
import pathlib
import time

import numpy as np
import tensorflow as tf
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.align.generator_warp import warp_to_arcface
from tf_reconstruct.align.photo_align import signed_to_uint8
from tf_reconstruct.align.template import ARCFACE_SIZE
from tf_reconstruct.errors import TfReconstructError

SHARD_PATTERN = "pairs-{:05d}.npz"


class PairStoreError(TfReconstructError, ValueError):
    """A pair store that is missing, empty, or made with other settings."""


@dataclasses.dataclass(frozen=True)
class PairSettings:
    generator: str = "mobilestylegan"
    extractor: str = "mobilefacenet192"
    resolution: int = 256
    precision: str = "float32"
    truncation: float = 0.7
    mixing_fraction: float = 0.5
    margin: int = 24
    shard_size: int = 1000
    seed: int = 0

    @property
    def face_size(self):
        return ARCFACE_SIZE + 2 * self.margin


def mix_w_plus(w, w_mix, crossover, num_ws):
    """w+ [n, num_ws, 512] whose rows before `crossover` [n] come from w [n, 512] and the rest from w_mix."""
    rows = np.arange(num_ws)[None, :, None]
    return np.where(rows < np.asarray(crossover)[:, None, None], np.asarray(w)[:, None], np.asarray(w_mix)[:, None])


def centre_crop(faces, margin):
    """[B, 112 + 2 margin, ., 3] -> the ArcFace face [B, 112, 112, 3] in their centre."""
    return faces[:, margin:margin + ARCFACE_SIZE, margin:margin + ARCFACE_SIZE]


def _draw_latents(generator, settings, index):
    """z, truncated w and w_mix, crossover for shard `index`, from its own seed."""
    rng = np.random.default_rng([settings.seed, index])
    size = settings.shard_size
    z = rng.standard_normal((size, 512)).astype(np.float32)
    z_mix = rng.standard_normal((size, 512)).astype(np.float32)
    mixed = rng.random(size) < settings.mixing_fraction
    crossover = np.where(mixed, rng.integers(1, generator.num_ws, size), generator.num_ws).astype(np.int32)
    w_avg = generator.w_avg.astype(np.float32)

    def truncated(latents):
        w = generator.mapping(latents, training=False).numpy()
        return w_avg + (w - w_avg) * settings.truncation
    return z, truncated(z), truncated(z_mix), crossover


def make_shard(generator, extractor, settings, index, batch_size=16, on_faces=None):
    """The arrays of shard `index` (see the module docstring); on_faces(n) after each batch of n faces."""
    z, w, w_mix, crossover = _draw_latents(generator, settings, index)
    synthesis = generator.synthesis(settings.resolution, settings.precision)

    @tf.function
    def faces_of(w_plus):
        images = tf.cast(synthesis(w_plus, training=False), tf.float32)
        return warp_to_arcface(images, generator.landmarks, settings.margin)

    faces, templates = [], []
    for start in range(0, len(z), batch_size):
        part = slice(start, start + batch_size)
        w_plus = mix_w_plus(w[part], w_mix[part], crossover[part], generator.num_ws)
        crops = signed_to_uint8(faces_of(tf.constant(w_plus)).numpy())
        faces.append(crops)
        templates.append(extractor(centre_crop(crops, settings.margin)).numpy())
        if on_faces:
            on_faces(len(crops))
    return {"z": z, "w": w, "w_mix": w_mix, "crossover": crossover, "template": np.concatenate(templates),
            "face": np.concatenate(faces)}


def _check_settings(store_dir, settings):
    path = store_dir / "settings.json"
    wanted = dataclasses.asdict(settings)
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved != wanted:
            changed = sorted(key for key in wanted if saved.get(key) != wanted[key])
            raise PairStoreError(f"{store_dir} holds pairs made with other settings ({', '.join(changed)}: "
                                 f"{[saved.get(k) for k in changed]} there, {[wanted[k] for k in changed]} now); "
                                 f"use another --pairs_dir or delete it")
    else:
        store_dir.mkdir(parents=True, exist_ok=True)
        atomic_files.write_text(path, json.dumps(wanted, indent=1))


def shard_paths(store_dir):
    return sorted(pathlib.Path(store_dir).glob("pairs-[0-9]*.npz"))


TARGET_FILE = "target.json"


def build_store(generator, extractor, store_dir, count, settings=PairSettings(), batch_size=16, progress=True):
    """Grows the store to at least `count` pairs, shard by shard (a bar counts faces); returns the number of
    pairs it holds. The target is written first, so an interrupted build is known to be incomplete."""
    store_dir = pathlib.Path(store_dir)
    if extractor.name != settings.extractor or generator.name != settings.generator:
        raise PairStoreError(f"settings name {settings.generator}/{settings.extractor} but the models are "
                             f"{generator.name}/{extractor.name}")
    _check_settings(store_dir, settings)
    shards = -(-count // settings.shard_size)
    atomic_files.write_text(store_dir / TARGET_FILE, json.dumps({"pairs": count, "shards": shards}))
    missing = [index for index in range(shards) if not (store_dir / SHARD_PATTERN.format(index)).is_file()]
    logging.info("pair store %s: %d of %d shards there, %d to make", store_dir, shards - len(missing), shards,
                 len(missing))
    with tqdm(total=len(missing) * settings.shard_size, desc="generating pairs", unit="face",
              disable=not progress or not missing) as bar:
        for index in missing:
            started = time.time()
            arrays = make_shard(generator, extractor, settings, index, batch_size, on_faces=bar.update)
            path = store_dir / SHARD_PATTERN.format(index)
            with atomic_files.replacing(path) as temporary:
                np.savez(temporary, **arrays)
            logging.info("shard %d: %d pairs in %.0f s", index, settings.shard_size, time.time() - started)
    return shards * settings.shard_size


def _target(store_dir):
    path = pathlib.Path(store_dir) / TARGET_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def require_complete(store_dir):
    """Raises PairStoreError when the store holds fewer shards than its last build was asked for, or has a gap
    (a store made before target.json was kept is complete if its shards are numbered without gaps)."""
    store_dir = pathlib.Path(store_dir)
    present = {int(path.stem.split("-")[1]) for path in shard_paths(store_dir)}
    wanted = _target(store_dir).get("shards", max(present, default=-1) + 1)
    missing = sorted(set(range(wanted)) - present)
    if missing:
        settings = json.loads((store_dir / "settings.json").read_text()) if (store_dir / "settings.json").is_file() \
            else {}
        pairs = wanted * settings.get("shard_size", 1000)
        raise PairStoreError(
            f"the latent bank in {store_dir} is incomplete: {wanted - len(missing)} of {wanted} shards (its build "
            f"was interrupted); finish it with `python -m tf_reconstruct.train_baselines --pairs={pairs} --train= "
            f"--baselines_dir={store_dir.parent}` (resumable)")


def load_store(store_dir, fields, extractor_name=None, limit=None):
    """{field: array} concatenated over the store's shards (at most `limit` pairs).

    Raises PairStoreError when the store is missing or was made for another extractor.
    """
    store_dir = pathlib.Path(store_dir)
    settings_file = store_dir / "settings.json"
    paths = shard_paths(store_dir)
    if not settings_file.is_file() or not paths:
        raise PairStoreError(f"no training pairs in {store_dir}: run `python -m tf_reconstruct.train_baselines` "
                             f"to generate them")
    settings = json.loads(settings_file.read_text())
    if extractor_name and settings["extractor"] != extractor_name:
        raise PairStoreError(f"{store_dir} holds templates of {settings['extractor']}, not {extractor_name}")
    parts = {field: [] for field in fields}
    total = 0
    for path in paths:
        with np.load(path) as shard:
            for field in fields:
                parts[field].append(shard[field])
            total += len(shard["z"])
        if limit and total >= limit:
            break
    return {field: np.concatenate(values)[:limit] for field, values in parts.items()}
