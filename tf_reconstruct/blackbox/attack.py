"""The black-box attack's runner: templates of an oracle in, faces out, resumable, each face with its record.

    BlackBoxConfig(method, queries, cma, blobs, engine_settings)
    Attacker(generator, oracle, baselines_dir, config, surrogate=None)
    attacker.run(templates [(name, [D])], out_dir, progress=True) -> faces made

Per template it writes, as the white-box runner does (optimize/runner.py), <name>.png, <name>_wplus.npy
(none for the pixel search) and, last, <name>.json, which marks it done; a re-run skips finished faces (a
face's search is short, so one cut mid-face starts again). The adapter route first runs the white-box
engine on every translated template into <out_dir>/surrogate_stage/ (resumable on its own), and each
face's search then goes on from there.

The record names the method, the start, the search settings, every model the attack touched, the oracle's
calls for this face (its bank's one-off cost is named apart) and its budget. No judge is loaded here.
"""

import dataclasses
import pathlib
import time

import numpy as np
from tqdm import tqdm

from tf_reconstruct.blackbox import adapter as adapters, oracle_bank, student as students, subspace
from tf_reconstruct.blackbox.blob_search import BlobSettings, blob_search
from tf_reconstruct.blackbox.cma_refine import CmaSettings, FineView, SearchResult, cma_refine, joint_term
from tf_reconstruct.blackbox.methods import SURROGATE_RECIPE, check_method
from tf_reconstruct.blackbox.queries import QueryRenderer, rows_seen, score_latents
from tf_reconstruct.optimize import coarse_to_fine, recipes, runner
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.optimize.settings import EngineSettings
from tf_reconstruct.optimize.warm_starts import as_w_plus
from tf_reconstruct.plots.image_grid import save_png

STAGE_DIR = "surrogate_stage"


@dataclasses.dataclass(frozen=True)
class BlackBoxConfig:
    method: str
    queries: int = 1000                   # oracle calls per face, beyond the bank's one-off
    cma: CmaSettings = CmaSettings()      # its `queries` is replaced by the config's
    blobs: BlobSettings = BlobSettings()
    engine_settings: EngineSettings = EngineSettings()   # the surrogate stage's base settings
    surrogate: str = "mobilefacenet192"   # the white-box model of the adapter route
    oracle_workers: int = 1               # processes answering the oracle (speed only: the answers are the same)
    checkpoint_dir: str = None            # where those processes load a named oracle's system from
    stage_from: str = None                # a run on the same people whose white-box stage this one reuses

    @property
    def budget(self):
        """Oracle calls per face: the method's own budget, or else the configured one."""
        return check_method(self.method).queries or self.queries

    def record(self):
        method = check_method(self.method)
        search = {"cma": dataclasses.asdict(self.cma), "blobs": dataclasses.asdict(self.blobs)}.get(method.refine)
        if method.refine == "cma" and not method.joint:
            search.pop("surrogate_weight")
        if method.surrogate_margin is not None:
            search["surrogate_margin"] = method.surrogate_margin
        if search and method.fine_resolution is not None:
            search["fine_view"] = {"resolution": method.fine_resolution, "queries": method.fine_queries}
        return {"queries_budget": self.budget, "query_resolution": method.query_resolution,
                "search": {**search, "queries": self.budget} if search else None,
                "basis": method.basis if method.refine == "cma" else None}


class Attacker:
    """Loads what the method needs once (the scored bank, the adapter, the subspace), then runs templates."""

    def __init__(self, generator, oracle, baselines_dir, config, surrogate=None):
        self.method = check_method(config.method)
        self.generator, self.oracle, self.config, self.surrogate = generator, oracle, config, surrogate
        self.baselines_dir = pathlib.Path(baselines_dir)
        self.bank = None
        if self.method.start == "bank" or self.method.refine == "cma":
            scored = oracle_bank.bank_dir(self.baselines_dir, oracle.name)
            self.bank = oracle_bank.load_oracle_bank(self.baselines_dir / "pairs", scored, oracle.name,
                                                     config.surrogate, generator.num_ws)
        if self.method.uses_surrogate and surrogate is None:
            raise ValueError(f"{config.method} needs the surrogate (white-box) extractor")
        self.adapter, self.adapter_meta = (adapters.load_adapter(self.baselines_dir, oracle.name, surrogate.name,
                                                                 self.method.adapter_data)
                                           if self.method.uses_surrogate else (None, {}))
        # The student's file also holds the surrogate's mean template norm, which a rescaled stage reads.
        self.student = (students.load_student(self.baselines_dir, oracle.name, surrogate.name, self.method.adapter_data)
                        if self.method.rescale or self.method.student_weight is not None else None)
        self.renderer = QueryRenderer(generator, self.method.query_resolution)
        self.fine_renderer = (QueryRenderer(generator, self.method.fine_resolution)
                              if self.method.fine_resolution is not None else None)
        # The rows the search may move: those the oracle's render reads (all, if so configured).
        self.moving = (rows_seen(self.renderer, generator.mean_w_plus()[0])
                       if self.method.refine == "cma" and config.cma.freeze_unseen_rows else None)
        if self.method.refine == "cma" and self.method.basis == "pca":
            self.basis = subspace.pca_basis(self.bank.w[self.bank.unmixed], config.cma.directions)

    @property
    def stage_name(self):
        """The white-box stage's folder name: routes with the same adapter may share one, others may not."""
        return (STAGE_DIR + ("" if self.method.adapter_data == "bank" else f"_{self.method.adapter_data}")
                + ("_rescaled" if self.method.rescale and self.method.student_weight is None else "")
                + ("" if self.method.student_weight is None else f"_student{self.method.student_weight:g}"))

    def touched(self):
        """Every model this method's attack touches, for the records."""
        models = {"oracle": self.oracle.name}
        if self.method.uses_generator:
            models["generator"] = self.generator.name
        if self.method.uses_surrogate:
            models["surrogate"] = self.surrogate.name
            models["adapter"] = adapters.adapter_name(self.oracle.name, self.surrogate.name, self.method.adapter_data)
        if self.method.student_weight is not None:
            models["student"] = students.student_name(self.oracle.name, self.surrogate.name, self.method.adapter_data)
        return models

    def _surrogate_stage(self, templates, stage):
        """The white-box engine on every translated template, into `stage`: {name: (w+, record)}."""
        stage = self._stage_dir = pathlib.Path(stage)
        names = [name for name, _ in templates]
        oracle_templates = np.stack([template for _, template in templates])
        translated = self.adapter.predict(oracle_templates, verbose=0)
        self._translated = dict(zip(names, translated))
        settings = recipes.settings_of(SURROGATE_RECIPE, self.config.engine_settings)
        # The bank start reads the translation, in the surrogate's own space, with or without the student.
        pending = {name: vector for name, vector in zip(names, translated) if not runner.is_done(stage, name)}
        starts = recipes.starts_of(SURROGATE_RECIPE, self.generator, self.surrogate.name, self.baselines_dir, pending)
        extractor, targets = self.surrogate, translated
        if self.method.rescale:
            targets = students.rescaled(translated, self.student.surrogate_norm)
        if self.method.student_weight is not None:
            extractor = students.student_extractor(self.surrogate, self.student, self.method.student_weight)
            targets = students.stage_targets(translated, oracle_templates, self.student, self.method.student_weight)
        recipes.run(SURROGATE_RECIPE, self.generator, extractor, list(zip(names, targets)), stage, settings, starts)
        return {name: (np.load(stage / f"{name}_wplus.npy"), runner.read_record(stage, name)) for name in names}

    def _stage_target(self):
        """What the white-box stage matched, beyond the translation itself, for the records."""
        if self.student is None:
            return {}
        how = {"translation_norm": round(self.student.surrogate_norm, 3)}
        if self.method.student_weight is not None:
            # surrogate_cosine is then the stage's own: the two blocks' together
            how.update({"stage_target": "translation and the student's prediction",
                        "student_weight": self.method.student_weight, "student_ridge": self.student.log.get("ridge"),
                        "student_real_validation_distance": self.student.log.get("real_validation_distance")})
        return how

    def _start(self, name, target, stage):
        """(w+ [num_ws, 512], how it was made) of one face's start."""
        if self.method.start == "adapter":
            w_plus, record = stage[name]
            return w_plus, {"kind": "adapter", "recipe": SURROGATE_RECIPE, "surrogate_steps": record["steps"],
                            "surrogate_seconds": round(np.nan_to_num(coarse_to_fine.face_seconds(self._stage_dir,
                                                                                                 record)), 2),
                            "surrogate_cosine": record["final_cosine"],
                            "adapter_data": self.method.adapter_data,
                            "adapter_validation_cosine": self.adapter_meta.get("validation_cosine"),
                            "adapter_real_validation_cosine": self.adapter_meta.get("real_validation_cosine"),
                            "adapter_pairs": self.adapter_meta.get("pairs"), **self._stage_target()}
        if self.method.start == "bank":
            w, indices, scores = self.bank.start(target)
            return as_w_plus(w[None], self.generator.num_ws)[0], {
                "kind": "oracle_bank", "neighbours": len(indices), "nearest_similarity": round(float(scores[0]), 4),
                "bank_faces": len(self.bank.oracle_templates), "bank_oracle_calls": self.bank.cost["calls"]}
        return self.generator.mean_w_plus()[0], {"kind": "mean"}

    def _prior(self, name, start):
        """The joint search's white-box term, faces [P, 112, 112, 3] uint8 -> [P]: the surrogate's cosine to this
        template's translation times its weight; with the method's margin m, only its fall below the start
        face's cosine minus m, so that the oracle alone steers within that band."""
        wanted = self._translated[name] / np.linalg.norm(self._translated[name])
        weight, margin = self.config.cma.surrogate_weight, self.method.surrogate_margin

        def cosines(faces):
            found = np.asarray(self.surrogate(faces), np.float64)
            return (found / np.linalg.norm(found, axis=1, keepdims=True)) @ wanted
        floor = (None if margin is None
                 else float(cosines(self.renderer(np.asarray(start, np.float32)[None]))[0]) - margin)
        return lambda faces: joint_term(cosines(faces), weight, floor)

    def _search(self, name, target, start, oracle):
        method, config = self.method, self.config
        if method.refine == "cma":
            settings = dataclasses.replace(config.cma, queries=config.budget)
            if method.basis == "pca":
                directions, scales = self.basis
            else:
                indices, _ = self.bank.nearest(target, max(config.cma.directions + 1, 2))
                directions, scales = subspace.neighbour_basis(self.bank.w[indices], start[0], config.cma.directions)
            # The fine view moves the rows the coarse one reads: rows only it reads would jump when it starts.
            fine = None if self.fine_renderer is None else FineView(self.fine_renderer, method.fine_queries)
            return cma_refine(self.renderer, oracle, target, start, directions, scales, settings,
                              self._prior(name, start) if method.joint else None, self.moving, fine)
        if method.refine == "blobs":
            return blob_search(oracle, target, self.renderer(start[None])[0], config.blobs)
        similarity = float(score_latents(self.renderer, oracle, start[None], target)[0][0])
        return SearchResult(start, similarity, similarity, oracle.calls, 0, [])

    def run(self, templates, out_dir, progress=True, on_written=None, stage_dir=None):
        """Makes every template's face not yet done in out_dir; on_written(name) after each. The adapter route's
        white-box stage goes to `stage_dir` (default <out_dir>/<stage_name>), which routes with one adapter share. Returns
        the faces made."""
        out_dir = pathlib.Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        pending = [(name, template) for name, template in templates if not runner.is_done(out_dir, name)]
        if not pending:
            return 0
        stage = (self._surrogate_stage(pending, stage_dir or out_dir / self.stage_name) if self.method.uses_surrogate
                 else {})
        for name, target in tqdm(pending, desc=f"{self.config.method} vs {self.oracle.name}", unit="face",
                                 disable=not progress):
            self._one(name, np.asarray(target, np.float32), stage, out_dir)
            if on_written:
                on_written(name)
        return len(pending)

    def _one(self, name, target, stage, out_dir):
        start, how = self._start(name, target, stage)
        started = time.time()
        # A method without a search still asks the oracle once, to record how its face scores (counted).
        oracle = self.oracle.with_budget(self.config.budget if self.method.queries_oracle else 1)
        result = self._search(name, target, start, oracle)
        searched = time.time() - started
        record = {"template": name, "method": self.config.method, "attack": "blackbox", "start": how,
                  "models_touched": self.touched(), "oracle_calls": oracle.calls,
                  "oracle_similarity": self.oracle.similarity, "final_similarity": round(result.similarity, 5),
                  "start_similarity": round(result.start_similarity, 5), "generations": result.generations,
                  "history": result.history, "steps": how.get("surrogate_steps", 0),
                  "seconds_search": round(searched, 2),
                  "final_surrogate_term": None if result.prior is None else round(result.prior, 5),
                  **({"fine_view_switch": result.switch} if self.fine_renderer is not None else {}),
                  "seconds": round(searched + how.get("surrogate_seconds", 0), 2),
                  "generator": self.generator.name,
                  "rows_moved": None if self.moving is None else np.flatnonzero(self.moving).tolist(),
                  **self.config.record()}
        record["final_cosine"] = record["final_similarity"]   # what the scoring's 'attack similarity' column reads
        if result.w_plus is None:      # the pixel search's face is its 112-px crop
            save_png(result.face, out_dir / f"{name}.png")
            runner.write_record(out_dir, name, {**record, "resolution": "112x112"})
            return
        images, _ = engine.render(self.generator, np.asarray(result.w_plus, np.float32)[None])
        runner.write_outputs(out_dir, name, images[0], np.asarray(result.w_plus, np.float32), record)
