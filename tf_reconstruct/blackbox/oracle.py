"""System A as an oracle: it only turns face images into templates, and every image it sees is counted.

    Oracle(embed, name, embedding_dim, similarity, budget=None)
      oracle(faces [B, 112, 112, 3] uint8) -> templates [B, D] float32 numpy; B calls
      oracle.calls, oracle.remaining, oracle.similarities(templates [B, D], target [D]) -> [B]
    load_oracle(spec, checkpoint_dir, ..., workers=1) -> Oracle: 'dlib' or 'python:<module>:<function>'

The attack may call it on images of its choosing and nothing else: no weights, no gradients. The system
runs on the oracle's own thread (TensorFlow's gradient tapes are per thread, so no tape of the attack can
record it, even when the system is a TensorFlow model), it receives numpy uint8 pixels, as a vendor's SDK
would, and its answers come back as numpy arrays.

Wrapping your own system (a vendor SDK, a remote API) takes one function in an importable module:

    # my_vendor.py
    def embed(faces):                       # faces: [B, 112, 112, 3] uint8 RGB, ArcFace-aligned
        return np.stack([sdk.template(face) for face in faces])   # -> [B, D]

then `--oracle=python:my_vendor:embed --oracle_dim=D --oracle_similarity=cosine` (or negative_euclidean).
The faces are the ArcFace crop (the five points of ArcFace's template, 112 px); an SDK that detects faces
itself can be handed them as they are, or padded. With `workers` > 1 (--oracle_workers) each batch is split
over that many processes, each holding its own copy of the system (dlib's ResNet runs on one core, so two
answer a generation in about half the time); use 1 for an SDK that must not be loaded twice.
"""

import concurrent.futures
import importlib
import multiprocessing

import numpy as np

from tf_reconstruct.errors import InputError, TfReconstructError
from tf_reconstruct.metrics import verification

SIMILARITIES = ("cosine", "negative_euclidean")


class OracleBudgetExhausted(TfReconstructError):
    """The oracle's query budget is spent: the search must stop with what it has."""


class Oracle:
    """Counts the images it embeds; refuses a call that would go beyond `budget` (None: no budget)."""

    def __init__(self, embed, name, embedding_dim, similarity, budget=None):
        if similarity not in SIMILARITIES:
            raise InputError(f"oracle similarity {similarity!r}: choose {' or '.join(SIMILARITIES)}")
        self._embed = embed
        self.name = name
        self.embedding_dim = int(embedding_dim)
        self.similarity = similarity
        self.budget = budget
        self.calls = 0
        self._rows = verification.similarity_functions(similarity)[0]

    @property
    def remaining(self):
        return float("inf") if self.budget is None else self.budget - self.calls

    def with_budget(self, budget):
        """The same system with its own count from 0 and `budget` calls (one face's search)."""
        return Oracle(self._embed, self.name, self.embedding_dim, self.similarity, budget)

    def __call__(self, faces):
        faces = np.asarray(faces)
        if faces.ndim != 4 or faces.shape[1:] != (112, 112, 3) or faces.dtype != np.uint8:
            raise ValueError(f"the oracle takes ArcFace-aligned uint8 faces [B, 112, 112, 3], not "
                             f"{faces.dtype} {faces.shape}")
        if len(faces) > self.remaining:
            raise OracleBudgetExhausted(f"{self.name}: {len(faces)} more calls would pass the budget of "
                                        f"{self.budget} ({self.calls} made)")
        self.calls += len(faces)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="oracle") as system:
            templates = np.asarray(system.submit(self._embed, faces).result(), np.float32)
        if templates.shape != (len(faces), self.embedding_dim):
            raise TfReconstructError(f"oracle {self.name} returned {templates.shape} for {len(faces)} faces; "
                                     f"expected [{len(faces)}, {self.embedding_dim}]")
        return templates

    def similarities(self, templates, target):
        """The system's own similarity of each template [B, D] to the target [D] (higher: more alike)."""
        templates = np.atleast_2d(np.asarray(templates, np.float32))
        return self._rows(templates, np.broadcast_to(np.asarray(target, np.float32), templates.shape))


def from_extractor(extractor, budget=None, workers=1, checkpoint_dir=None):
    """An evaluating extractor (models/registry) as an oracle: dlib, or any model seen only through its outputs.
    With workers > 1, an extractor load_oracle knows by name answers from that many processes."""
    spec = {name: spec for spec, name in ORACLE_EXTRACTORS.items()}.get(extractor.name)
    if workers > 1 and spec is not None:
        embed = _process_pool(spec, checkpoint_dir, workers)
    else:
        def embed(faces):
            result = extractor(faces)
            return result.numpy() if hasattr(result, "numpy") else result
    return Oracle(embed, extractor.name, extractor.embedding_dim, extractor.similarity, budget)


ORACLE_EXTRACTORS = {"dlib": "dlib_resnet128"}


def load_oracle(spec, checkpoint_dir=None, embedding_dim=None, similarity="cosine", workers=1):
    """The oracle `spec` names: 'dlib' (dlib's ResNet, a C++ runtime), or 'python:<module>:<function>', a user's
    function from uint8 faces [B, 112, 112, 3] to templates [B, embedding_dim] compared by `similarity`; with
    `workers` > 1 it answers from that many processes."""
    if spec in ORACLE_EXTRACTORS:
        from tf_reconstruct.models import registry
        return from_extractor(registry.get_extractor(ORACLE_EXTRACTORS[spec], None, checkpoint_dir), None, workers,
                              checkpoint_dir)
    if not embedding_dim and spec.startswith("python:"):
        raise InputError(f"--oracle={spec}: a user's oracle needs --oracle_dim, its templates' dimension")
    embed = _user_function(spec)   # imported here too, so that a wrong spec fails at once, not in a worker
    if workers > 1:
        embed = _process_pool(spec, checkpoint_dir, workers)
    return Oracle(embed, spec.split(":")[1] + "." + spec.split(":")[2], embedding_dim, similarity)


def _user_function(spec):
    parts = spec.split(":")
    if len(parts) != 3 or parts[0] != "python":
        raise InputError(f"--oracle={spec}: give {' or '.join(ORACLE_EXTRACTORS)}, or python:<module>:<function> "
                         f"for your own system (blackbox/oracle.py shows the function it needs)")
    try:
        return getattr(importlib.import_module(parts[1]), parts[2])
    except (ImportError, AttributeError) as error:
        raise InputError(f"--oracle={spec}: cannot import {parts[2]} from {parts[1]} ({error}); put the module on "
                         f"PYTHONPATH") from error


_WORKER_EMBED = []   # the system a pool process holds, loaded once by _start_worker


def _start_worker(spec, checkpoint_dir):
    if spec in ORACLE_EXTRACTORS:
        from tf_reconstruct.models import registry
        extractor = registry.get_extractor(ORACLE_EXTRACTORS[spec], None, checkpoint_dir)
        _WORKER_EMBED.append(lambda faces: np.asarray(extractor(faces)))
    else:
        _WORKER_EMBED.append(_user_function(spec))


def _worker_embed(faces):
    return np.asarray(_WORKER_EMBED[0](faces), np.float32)


def _process_pool(spec, checkpoint_dir, workers):
    """embed(faces) splitting each batch over `workers` spawned processes, in order (fresh interpreters: no
    TensorFlow state of the attack is shared with them)."""
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_start_worker, initargs=(spec, checkpoint_dir))

    def embed(faces):
        parts = np.array_split(np.asarray(faces), max(1, min(workers, len(faces))))
        return np.concatenate(list(pool.map(_worker_embed, parts)))
    return embed
