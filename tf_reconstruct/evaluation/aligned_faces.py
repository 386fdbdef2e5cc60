"""Photos -> MTCNN-aligned 112x112 faces, cached per image so reruns and new extractors skip detection.

    align_images(items, cache_file) -> ({image id: [112, 112, 3] uint8}, {image id: reason it was skipped})
    embed_faces(extractor, faces, cache_file=None) -> {image id: [D] float32}

`items` yields (identity, image id, RGB image). The cache (.npz) is rewritten atomically every
`save_every` new faces, so an interrupted run keeps what it detected.
"""

import pathlib

import numpy as np
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.align import photo_align
from tf_reconstruct.errors import TfReconstructError


def _load(cache_file):
    if not cache_file.is_file():
        return {}, {}
    with np.load(cache_file, allow_pickle=False) as cached:
        faces = dict(zip(cached["ids"].tolist(), cached["faces"]))
        failures = dict(zip(cached["failed_ids"].tolist(), cached["failed_reasons"].tolist()))
    return faces, failures


def _save(cache_file, faces, failures):
    ids = sorted(faces)
    with atomic_files.replacing(cache_file) as temporary:
        np.savez(temporary, ids=np.array(ids, dtype=str),
                 faces=np.stack([faces[i] for i in ids]) if ids else np.zeros((0, 112, 112, 3), np.uint8),
                 failed_ids=np.array(sorted(failures), dtype=str),
                 failed_reasons=np.array([failures[i] for i in sorted(failures)], dtype=str))


def align_images(items, cache_file, total=None, save_every=50):
    """Aligns every image not already in the cache; images without a face are recorded, not fatal."""
    cache_file = pathlib.Path(cache_file)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    faces, failures = _load(cache_file)
    fresh = 0
    for _, image_id, image in tqdm(items, total=total, desc="aligning photos", unit="image"):
        if image_id in faces or image_id in failures:
            continue
        try:
            faces[image_id] = photo_align.align_photo(image, image_id)
        except (TfReconstructError, ValueError) as error:
            failures[image_id] = str(error)
            logging.warning("skipped %s", error)
        fresh += 1
        if fresh % save_every == 0:
            _save(cache_file, faces, failures)
    if fresh:
        _save(cache_file, faces, failures)
    return faces, failures


def _probe_face():
    # A fixed input whose embedding identifies the extractor's weights: a cache made by other weights
    # under the same name answers differently.
    return np.random.default_rng(0).integers(0, 256, (1, 112, 112, 3), dtype=np.uint8)


def embed_faces(extractor, faces, batch_size=64, cache_file=None, save_every=10):
    """{id: aligned uint8 face} -> {id: [D] float32 embedding}.

    With `cache_file` (.npz), embeddings already there are reused and new ones added; the whole cache is
    discarded when the extractor's embedding of a fixed probe face differs from the one stored with it.
    Use it only for faces that never change under the same id (photos, not reconstructions).
    """
    # The probe costs a forward pass (0.15 s with dlib): only a cache needs it.
    probe = extractor(_probe_face()).numpy()[0] if cache_file is not None else None
    embeddings = {}
    if cache_file is not None and pathlib.Path(cache_file).is_file():
        with np.load(cache_file, allow_pickle=False) as cached:
            scale = float(np.abs(probe).max())
            if cached["probe"].shape == probe.shape and np.allclose(cached["probe"], probe, rtol=1e-3,
                                                                    atol=1e-3 * scale):
                embeddings = dict(zip(cached["ids"].tolist(), cached["vectors"]))
            else:
                logging.warning("%s was made by other weights than %s has now: embedding again", cache_file,
                                extractor.name)
    ids = sorted(set(faces) - set(embeddings))
    batches = range(0, len(ids), batch_size)
    # Slow extractors (dlib, about 0.15 s a face) show progress and keep what they finished if interrupted.
    for number, start in enumerate(tqdm(batches, desc=f"embedding with {extractor.name}", unit="batch",
                                        disable=len(batches) < 10), start=1):
        part = ids[start:start + batch_size]
        vectors = extractor(np.stack([faces[i] for i in part])).numpy()
        embeddings.update(zip(part, vectors))
        if cache_file is not None and (number % save_every == 0 or number == len(batches)):
            _save_embeddings(pathlib.Path(cache_file), embeddings, probe)
    return {i: embeddings[i] for i in faces}


def _save_embeddings(cache_file, embeddings, probe):
    known = sorted(embeddings)
    with atomic_files.replacing(cache_file) as temporary:
        np.savez(temporary, ids=np.array(known, dtype=str), vectors=np.stack([embeddings[i] for i in known]),
                 probe=probe)
