"""The latent bank seen by the oracle: its generated faces scored once by system A, a one-off cost.

    build_oracle_bank(store_dir, oracle, out_dir, batch=64) -> stats {calls, seconds, pairs}
    load_oracle_bank(store_dir, out_dir, oracle_name, surrogate_name) -> OracleBank
    OracleBank.nearest(target [D], similarity, k) -> (indices [k], similarities [k]); .start(...) -> w [512]

The bank (baselines/training_pairs.py) keeps each generated face's aligned crop, so the oracle embeds
the stored pixels: no face is rendered again. Its templates sit beside the surrogate's (the attacker's
white-box model) for the same faces, which is what the adapter learns from (adapter.py), and beside the
latents, which give a kNN start in the oracle's own space. Files in out_dir, one per store shard, so an
interrupted build resumes: oracle-00000.npz (template [n, D]), and oracle_bank.json (the oracle, the calls
and seconds it cost, written when complete).
"""

import json
import pathlib
import time

import numpy as np
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.baselines import training_pairs
from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.metrics import verification

SHARD_PATTERN = "oracle-{:05d}.npz"
RECORD = "oracle_bank.json"
# Softmax temperature of the neighbours' weights, in the oracle's similarity units (dlib: distance; a
# neighbour 0.03 farther than the nearest weighs e^-1 as much; the nearest lie about 0.45 away).
TEMPERATURE = 0.03
NEIGHBOURS = 8


def bank_dir(baselines_dir, oracle_name):
    return pathlib.Path(baselines_dir) / f"oracle_bank_{oracle_name}"


def build_oracle_bank(store_dir, oracle, out_dir, batch=64, progress=True):
    """Scores every store shard's faces with the oracle (shards already scored are kept). Returns
    {"calls", "seconds", "pairs"}, the whole bank's one-off cost (this run's and earlier runs')."""
    training_pairs.require_complete(store_dir)
    settings = json.loads((pathlib.Path(store_dir) / "settings.json").read_text())
    margin = settings["margin"]
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    record_path = out_dir / RECORD
    record = json.loads(record_path.read_text()) if record_path.is_file() else {"calls": 0, "seconds": 0.0}
    if record.get("oracle", oracle.name) != oracle.name:
        raise TfReconstructError(f"{out_dir} holds the bank scored by {record['oracle']}, not {oracle.name}")
    paths = training_pairs.shard_paths(store_dir)
    missing = [(index, path) for index, path in enumerate(paths) if not (out_dir / SHARD_PATTERN.format(index)).is_file()]
    bar = tqdm(total=len(missing) * settings["shard_size"], desc=f"bank faces scored by {oracle.name}", unit="face",
               disable=not (progress and missing))
    for index, path in missing:
        started, calls = time.time(), oracle.calls
        with np.load(path) as shard:
            faces = training_pairs.centre_crop(shard["face"], margin)
        templates = []
        for start in range(0, len(faces), batch):
            templates.append(oracle(np.ascontiguousarray(faces[start:start + batch])))
            bar.update(len(templates[-1]))
        with atomic_files.replacing(out_dir / SHARD_PATTERN.format(index)) as temporary:
            np.savez(temporary, template=np.concatenate(templates))
        record = {"oracle": oracle.name, "similarity": oracle.similarity, "store": str(store_dir),
                  "calls": record["calls"] + oracle.calls - calls,
                  "seconds": round(record["seconds"] + time.time() - started, 1), "shards": index + 1}
        atomic_files.write_text(record_path, json.dumps(record, indent=1))
    bar.close()
    return {"calls": record["calls"], "seconds": record["seconds"], "pairs": record["calls"]}


class OracleBank:
    """The bank's latents beside both systems' templates of the same faces."""

    def __init__(self, oracle_templates, surrogate_templates, w, w_mix, crossover, num_ws, similarity, cost):
        self.oracle_templates = oracle_templates
        self.surrogate_templates = surrogate_templates
        self.w, self.w_mix, self.crossover = w, w_mix, crossover
        self.num_ws, self.similarity, self.cost = num_ws, similarity, cost
        self.unmixed = np.flatnonzero(crossover >= num_ws)
        self._matrix = verification.similarity_functions(similarity)[1]

    def nearest(self, target, k=NEIGHBOURS):
        """The k unmixed entries most like the target [D] in the oracle's space: (indices, similarities)."""
        scores = self._matrix(np.asarray(target, np.float32)[None], self.oracle_templates[self.unmixed])[0]
        order = np.argsort(-scores, kind="stable")[:k]
        return self.unmixed[order], scores[order]

    def start(self, target, k=NEIGHBOURS, temperature=TEMPERATURE):
        """The similarity-weighted mean w [512] of the target's nearest entries (softmax weights), and them."""
        indices, scores = self.nearest(target, k)
        weights = np.exp((scores - scores[0]) / temperature)
        weights /= weights.sum()
        return (weights @ self.w[indices]).astype(np.float32), indices, scores


def load_oracle_bank(store_dir, out_dir, oracle_name, surrogate_name, num_ws):
    """The scored bank; refuses one whose scoring is unfinished, naming the command that finishes it."""
    out_dir = pathlib.Path(out_dir)
    paths = training_pairs.shard_paths(store_dir)
    scored = [out_dir / SHARD_PATTERN.format(index) for index in range(len(paths))]
    record = json.loads((out_dir / RECORD).read_text()) if (out_dir / RECORD).is_file() else {}
    if not paths or not all(path.is_file() for path in scored) or record.get("oracle") != oracle_name:
        raise TfReconstructError(f"the latent bank is not yet scored by {oracle_name} in {out_dir}: run "
                                 f"`python -m tf_reconstruct.train_adapter --oracle=...` (one-off, resumable)")
    pairs = training_pairs.load_store(store_dir, ("template", "w", "w_mix", "crossover"), surrogate_name)
    templates = np.concatenate([np.load(path)["template"] for path in scored])
    return OracleBank(templates, pairs["template"], pairs["w"], pairs["w_mix"], pairs["crossover"], num_ws,
                      record["similarity"], {"calls": record["calls"], "seconds": record["seconds"]})
