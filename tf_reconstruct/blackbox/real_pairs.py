"""Real photos for the adapter: LFW people no study can draw, each photo embedded by the oracle and the surrogate.

    adapter_identities(images_by_identity, limit, seed) -> [identity] with exactly one photo, sorted
    embed_pairs(faces {id: [112, 112, 3] uint8}, oracle, surrogate, cache_file) -> RealPairs

The bank's generated faces are not the photos the attack meets: an adapter learnt from them alone translates a
press photo's template less well. Every study here draws identities with at least two photos (type II needs a
second one), so a person with a single photo is never a target nor anyone's genuine match, and their photos
are public data an attacker may use. The oracle's calls on them are a one-off cost like the bank's, recorded
apart from any face's budget. The faces are the same MTCNN-aligned crops the templates of a study come from.
"""

import dataclasses
import pathlib

import numpy as np
from tqdm import tqdm

from tf_reconstruct import atomic_files


@dataclasses.dataclass
class RealPairs:
    ids: list                   # image ids, sorted
    oracle: np.ndarray          # [N, D] the oracle's templates
    surrogate: np.ndarray       # [N, D'] the surrogate's templates of the same crops
    calls: int                  # oracle calls these pairs cost (one per photo, counted once even over resumes)


def adapter_identities(images_by_identity, limit=None, seed=0):
    """The identities with exactly one photo, sorted; a seeded draw of `limit` of them when there are more."""
    single = sorted(name for name, images in images_by_identity.items() if len(images) == 1)
    if limit is not None and len(single) > limit:
        chosen = np.random.default_rng(seed).choice(len(single), size=limit, replace=False)
        single = [single[index] for index in sorted(chosen)]
    return single


def _load(cache_file):
    if not cache_file.is_file():
        return {}, {}, 0
    with np.load(cache_file, allow_pickle=False) as saved:
        ids = saved["ids"].tolist()
        return dict(zip(ids, saved["oracle"])), dict(zip(ids, saved["surrogate"])), int(saved["calls"])


def _save(cache_file, oracle_of, surrogate_of, calls):
    ids = sorted(oracle_of)
    with atomic_files.replacing(cache_file) as temporary:
        np.savez(temporary, ids=np.array(ids, dtype=str), oracle=np.stack([oracle_of[i] for i in ids]),
                 surrogate=np.stack([surrogate_of[i] for i in ids]), calls=np.int64(calls))


def embed_pairs(faces, oracle, surrogate, cache_file, batch_size=64, progress=True):
    """Both systems' templates of every face, cached in `cache_file` (.npz, rewritten atomically after each batch,
    so an interruption loses at most one batch); only faces not yet cached cost oracle calls."""
    cache_file = pathlib.Path(cache_file)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    oracle_of, surrogate_of, calls = _load(cache_file)
    pending = sorted(set(faces) - set(oracle_of))
    for start in tqdm(range(0, len(pending), batch_size), desc=f"real photos scored by {oracle.name}", unit="batch",
                      disable=not progress or not pending):
        part = pending[start:start + batch_size]
        crops = np.stack([faces[i] for i in part])
        oracle_of.update(zip(part, oracle(crops)))
        calls += len(part)   # the oracle counts one call per face
        surrogate_of.update(zip(part, np.asarray(surrogate(crops))))
        _save(cache_file, oracle_of, surrogate_of, calls)
    ids = sorted(i for i in faces if i in oracle_of)
    return RealPairs(ids, np.stack([oracle_of[i] for i in ids]).astype(np.float32),
                     np.stack([surrogate_of[i] for i in ids]).astype(np.float32), calls)
