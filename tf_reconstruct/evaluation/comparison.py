"""The paper's comparison: Table 3 (methods' TAR at FAR 0.1%), Table 4 (liveness pass rates) and a Fig. 6/9 grid.

Every method is scored through the same simulated system as ours: MTCNN on its output, the evaluating
extractor, and the thresholds the main experiment set from real photos. The one-pass methods (Mapping,
NbNet) reconstruct every usable selected identity, the optimising ones those ours has finished. Each
method's row covers what it has finished; where that differs from ours', the method and ours are also
scored on the identities both have finished, so there is always a pair of rows comparing like with like.
"""

import dataclasses
import hashlib
import json
import pathlib

import numpy as np
from absl import logging
from tqdm import tqdm

from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import aligned_faces, methods as methods_module, protocol, report_files
from tf_reconstruct.metrics import verification
from tf_reconstruct.optimize import coarse_to_fine, runner
from tf_reconstruct.plots.image_grid import make_grid, save_png

TABLE3_FAR_PERCENT = 0.1


def method_rows(method, label, evaluator_name, resolution, mode, threshold, type_one, type_two, steps,
                seconds_per_face=float("nan"), type_two_owners=None):
    """One Table 3 row: TARs (in %) of a method's type I [N] and type II [M] scores at `threshold`; with the
    owner of each type II score [M], also type II averaged per identity (each person counts once)."""
    per_identity = (100 * verification.mean_acceptance_by_group(type_two, type_two_owners, threshold)
                    if type_two_owners is not None else float("nan"))
    return {"method": label, "extractor": evaluator_name, "resolution": resolution, "impostors": mode,
            "threshold": threshold, "identities": len(type_one), "type II comparisons": len(type_two),
            "type I TAR %": 100 * verification.acceptance_rate(type_one, threshold),
            "type II TAR %": 100 * verification.acceptance_rate(type_two, threshold),
            "type II TAR % per identity": per_identity,
            "mean steps": float(np.mean(steps)) if len(steps) else float("nan"), "s / face": seconds_per_face,
            "method key": method}


def liveness_rows(decisions):
    """Table 4 rows from {(detector, method label): [passed (bool) or None when no face was found]}."""
    rows = []
    for (detector, label), outcomes in decisions.items():
        passed = sum(outcome is True for outcome in outcomes)
        no_face = sum(outcome is None for outcome in outcomes)
        rows.append({"detector": detector, "method": label, "count": len(outcomes), "passed": passed,
                     "failed": len(outcomes) - passed, "of which no face": no_face,
                     "pass %": 100 * passed / len(outcomes) if outcomes else float("nan")})
    return rows


def _steps(run_dir, method, identities):
    if method == "nbnet":
        return []
    return [runner.read_record(methods_module.output_dir(run_dir, method), i)["steps"] for i in identities]


def _seconds_per_face(run_dir, method, identities):
    """The method's measured seconds per face-step times its mean steps on `identities` (NaN when untimed); a
    coarse-to-fine method's two stages each at their own seconds per step (optimize/coarse_to_fine.py)."""
    if method == "nbnet" or not identities:
        return float("nan")
    folder = methods_module.output_dir(run_dir, method)
    records = [runner.read_record(folder, identity) for identity in identities]
    if method in methods_module.BLACKBOX:   # each record times its own search and its surrogate stage
        return float(np.mean([record["seconds"] for record in records]))
    return float(np.mean([coarse_to_fine.face_seconds(folder, record) for record in records]))


def _liveness(run_dir, detectors, images_by_key, made_by):
    """{detector: {key: passed or None}}, with scores cached in liveness_scores.json (kept with the run).

    Each cached score is keyed by what made its image (`made_by`: {key: stamp}, e.g. the hash of the face's
    w+), so a face made again, by a retrained NbNet or a re-run method, is scored again rather than reported
    with its predecessor's score; entries cached before stamps were kept are scored again once."""
    from tf_reconstruct.align.photo_align import NoFaceFoundError
    path = run_dir / "liveness_scores.json"
    cache = json.loads(path.read_text()) if path.is_file() else {}
    for name, detector in detectors.items():
        scores = cache.setdefault(name, {})
        stale = [key for key in images_by_key if key in scores and scores[key].get("made_by") != made_by[key]]
        if stale:
            logging.info("%s: %d cached liveness scores belong to other images; scoring them again", name, len(stale))
        to_score = [(key, read) for key, read in images_by_key.items() if key not in scores or key in stale]
        # About half a second a face per detector: a bar with an ETA over the hundreds of a full run.
        for done, (key, read) in enumerate(tqdm(to_score, desc=f"liveness ({name})", unit="face",
                                                disable=not to_score), 1):
            try:
                score, passed = detector(read(), key)
                scores[key] = {"score": round(score, 5), "passed": passed, "made_by": made_by[key]}
            except NoFaceFoundError:
                scores[key] = {"score": None, "passed": None, "made_by": made_by[key]}
            if done % 50 == 0:   # an interrupted scoring keeps what it scored
                report_files.write_text(path, json.dumps(cache, indent=0, sort_keys=True))
        report_files.write_text(path, json.dumps(cache, indent=0, sort_keys=True))
    return {name: {key: cache[name][key]["passed"] for key in images_by_key} for name in detectors}


def face_stamp(run_dir, method, identity):
    """What made a method's face, for caches: the sha256 (16 hex) of its w+ when it has one (its pixels are a
    function of it), else of its PNG (NbNet)."""
    folder = methods_module.output_dir(run_dir, method)
    source = folder / f"{identity}_wplus.npy"
    source = source if source.is_file() else folder / f"{identity}.png"
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


@dataclasses.dataclass
class Comparison:
    """What the comparison needs from the main experiment.

    finished: {identity: [source, others...]} of the identities the reference method has finished.
    templates: {identity: the attacked template [D]} of every identity in `selected`.
    photo_embeddings_of: {evaluator: {photo: embedding}}; results: {evaluator: {impostor mode: table rows}}
      of the main experiment (its thresholds).
    selected: {identity: [source, others...]} of every usable selected identity, finished or not (Table 4's
      real-photo reference row uses all their source photos; None: `finished`).
    config: the ExperimentConfig (methods, liveness, baselines, limits).
    """
    run_dir: object
    dataset: object
    generator: object
    attacker: object
    evaluators: list
    photo_embeddings_of: dict
    finished: dict
    templates: dict
    results: dict
    config: object
    selected: dict = None


def compare(job):
    """Makes the methods' outputs, scores them and writes table3, table4 and fig6_methods.png (and, for the
    ablation methods, ablation.md and fig2_3_ablation.png). `job`: a Comparison. Every method is compared with
    the run's reference method (ours, or the first listed) on the identities both have finished."""
    config, run_dir = job.config, pathlib.Path(job.run_dir)
    methods, reference = list(config.methods), methods_module.reference(config.methods)
    selected = job.selected or job.finished
    identities = list(job.finished)
    made = methods_module.make_outputs(methods, run_dir, job.generator, job.attacker,
                                       {i: job.templates[i] for i in selected}, config.baselines_dir,
                                       config.engine_settings, config.max_reconstructions
                                       if config.max_warm_starts is None else config.max_warm_starts,
                                       optimisable=identities, blackbox=config.blackbox)
    done = {method: methods_module.finished(run_dir, method, list(selected)) for method in methods}
    rows = _scored_rows(job, methods, reference, done, selected)
    finished_note = (f"Mapping and NbNet on every usable selected identity ({len(selected)}), {reference} and the "
                     f"optimising methods on those {reference} has finished ({len(identities)} of "
                     f"{config.num_identities} selected); 'on ...' rows compare a method and {reference} on the same "
                     f"identities; the main run's thresholds.")
    table3 = [{**row, "comparison": method} for method, row in rows if method not in methods_module.ABLATIONS]
    ablation = [row for method, row in rows if method == reference or method in methods_module.ABLATIONS]
    compared = [method for method in methods if method not in methods_module.ABLATIONS]
    kept = []
    # The reference alone is no comparison: an ablation-only run leaves an earlier run's table3 as it was.
    if len(compared) > 1:
        kept = kept_rows(report_files.read_csv(run_dir / "table3.csv"), compared)
        note = (f" Rows of {', '.join(sorted({row['method'] for row in kept}))} are kept from an earlier run that "
                f"compared them (this one did not); their identity counts are their own." if kept else "")
        table3 = grouped_like(table3 + kept)
        _write_rows(run_dir / "table3", table3, f"Table 3 analogue: TAR at FAR {TABLE3_FAR_PERCENT}% on "
                    f"{job.dataset.name}, attacked with {job.attacker.name} through {job.generator.name}; "
                    + finished_note + note)
    studied = [method for method in methods if method in methods_module.ABLATIONS]
    if studied:
        _write_rows(run_dir / "ablation", ablation, f"The paper's Figs. 2-3 ablation as TAR at FAR "
                    f"{TABLE3_FAR_PERCENT}%: the latent space optimised (Z, W, W+) and its start (mean, uniform); "
                    f"other settings are the main run's; each on the identities {reference} has finished "
                    f"({len(identities)} of {config.num_identities} selected), with the main run's thresholds.")
    liveness = (_table4(run_dir, job.dataset, job.finished, selected, done, compared, config.liveness)
                if config.liveness else None)
    if len(compared) > 1 and not kept:   # a grid of fewer methods would replace one of all of them
        _methods_grid(run_dir / "fig6_methods", job.dataset, job.finished, done, compared, config.grid_rows)
    if studied:
        _methods_grid(run_dir / "fig2_3_ablation", job.dataset, job.finished, done,
                      [method for method in methods_module.ABLATION_ORDER if method in methods])
    return {"table3": table3, "ablation": ablation, "table4": liveness, "made": made}


def _scored_rows(job, methods, reference, done, selected):
    """[(the method whose comparison the row belongs to, Table 3 row)] for every evaluator and impostor mode."""
    aligned = {method: methods_module.aligned_method_faces(job.run_dir, method, done[method])[0]
               for method in methods}
    rows = []
    for evaluator in job.evaluators:
        photos = job.photo_embeddings_of[evaluator.name]
        embedded = {method: aligned_faces.embed_faces(evaluator, aligned[method]) for method in methods}
        for mode, mode_rows in job.results[evaluator.name].items():
            threshold = next(row["threshold"] for row in mode_rows if abs(row["FAR %"] - TABLE3_FAR_PERCENT) < 1e-9)
            for method in methods:
                for scored, subset, label in _row_subsets(method, done, reference):
                    if not subset:
                        continue
                    selection = {identity: selected[identity] for identity in subset}
                    recon = {identity: embedded[scored].get(identity) for identity in subset}
                    type_one, type_two, owners = protocol.attack_scores(recon, photos, selection,
                                                                        evaluator.similarity)
                    rows.append((method, method_rows(scored, label, evaluator.name,
                                                     methods_module.RESOLUTIONS[scored], mode, threshold, type_one,
                                                     type_two, _steps(job.run_dir, scored, subset),
                                                     _seconds_per_face(job.run_dir, scored, subset), owners)))
    return rows


def _row_subsets(method, done, reference="ours"):
    """[(method scored, identities, row label)]: the method on all it has finished and, where that differs
    from the reference method's, it and the reference on the identities both have finished."""
    label = methods_module.LABELS[method]
    subsets = [(method, done[method], label)]
    if method == reference:
        return subsets
    theirs = set(done[reference])
    common = [identity for identity in done[method] if identity in theirs]
    if len(common) < len(done[method]):
        subsets.append((method, common, f"{label}, on the {len(common)} {reference} has finished"))
    if len(common) < len(theirs):
        subsets.append((reference, common, f"{methods_module.LABELS[reference]}, on {label}'s {len(common)}"))
    return subsets


def comparison_of(label):
    """The method whose comparison a Table 3 row label belongs to ('Mapping (w), on the 20 ours has finished'
    and 'ours (W+ optimisation), on Mapping (w)'s 20' belong to mapping), or None; for tables written before
    the rows named it."""
    by_length = sorted(methods_module.LABELS.items(), key=lambda item: -len(item[1]))
    for method, text in by_length:
        if label == text or label.startswith(text + ", on the "):
            return method
    ours_on = methods_module.LABELS["ours"] + ", on "
    if label.startswith(ours_on):
        return next((method for method, text in by_length if label[len(ours_on):].startswith(text + "'s ")), None)
    return None


def kept_rows(earlier, compared):
    """The rows of an earlier table3 (as read from its CSV) whose comparison is not among `compared`."""
    kept = []
    for row in earlier:
        method = row.get("comparison") or comparison_of(row["method"])
        if method is not None and method not in compared and method not in methods_module.ABLATIONS:
            kept.append({**row, "comparison": method})
    return kept


def grouped_like(rows):
    """Rows ordered by (extractor, impostors) in order of first appearance, keeping the order within a group."""
    groups = {}
    for row in rows:
        groups.setdefault((row["extractor"], row["impostors"]), []).append(row)
    return [row for group in groups.values() for row in group]


def _write_rows(stem, rows, heading):
    """The CSV keeps each row's 'comparison', which a later run reads back (kept_rows); a column that rows kept
    from an older table lack is left empty."""
    columns = list(dict.fromkeys(key for row in rows for key in row if key != "method key"))
    report_files.write_table(stem, [{key: row.get(key, "") for key in columns} for row in rows], heading,
                             csv_only=("comparison",))


def _table4(run_dir, dataset, usable, selected, done, methods, detector_names):
    from tf_reconstruct.liveness import detectors as liveness_detectors
    unknown = [name for name in detector_names if name not in liveness_detectors.DETECTORS]
    if unknown:
        raise InputError(f"--liveness: unknown detectors {unknown}; choose from {sorted(liveness_detectors.DETECTORS)}")
    detectors = {name: liveness_detectors.DETECTORS[name]() for name in detector_names}
    # Read lazily: a photo whose scores are cached is never read again.
    sources = {identity: images[0] for identity, images in selected.items()}
    images_by_key = {f"photo/{identity}": (lambda source=source: dataset.read([source])[source])
                     for identity, source in sources.items()}
    made_by = {f"photo/{identity}": f"photo {source}" for identity, source in sources.items()}
    for method in methods:
        for identity in done[method]:
            images_by_key[f"{method}/{identity}"] = (
                lambda method=method, identity=identity: methods_module.read_face(run_dir, method, identity))
            made_by[f"{method}/{identity}"] = face_stamp(run_dir, method, identity)
    decisions = _liveness(run_dir, detectors, images_by_key, made_by)
    grouped = {}
    for name in detector_names:
        grouped[(name, f"real photos (sources of all {len(selected)} selected)")] = [
            decisions[name][f"photo/{i}"] for i in selected]
        if len(selected) > len(usable):
            grouped[(name, f"real photos (sources of the {len(usable)} reconstructed)")] = [
                decisions[name][f"photo/{i}"] for i in usable]
        for method in methods:
            grouped[(name, methods_module.LABELS[method])] = [decisions[name][f"{method}/{i}"] for i in done[method]]
    rows = liveness_rows(grouped)
    heading = ("Table 4 analogue: liveness pass counts of the source photos and of each method's reconstructions "
               "(a face MTCNN cannot find fails). Detectors: " +
               "; ".join(detector.description for detector in detectors.values()) + ".")
    report_files.write_table(run_dir / "table4", rows, heading)
    return rows


def grid_rows(usable, done, methods, count=6, featured=()):
    """The identities of a methods grid: the `featured` ones first (where a column is not a copy of ours, so
    the grid shows what differs), then those every method has finished, then others ours has, so the grid
    keeps `count` rows when a slow method (the warm start) has done fewer."""
    complete = [identity for identity in usable if all(identity in done[method] for method in methods)]
    order = sorted(usable, key=lambda identity: (identity not in featured, identity not in complete))
    return order[:count]


NOT_RUN_GREY = 96


def face_tile(run_dir, method, identity, finished, size):
    """The method's face of `identity` when it is among `finished`, else a plain grey [size, size, 3] tile."""
    if identity in finished:
        return methods_module.read_face(run_dir, method, identity)
    return np.full((size, size, 3), NOT_RUN_GREY, np.uint8)


def _methods_grid(stem, dataset, usable, done, methods, count=6):
    """Rows of identities; columns: the source photo, then each method's reconstruction (Figs. 2, 3, 6 and 9).
    A method that has not run on a row's identity gets a plain grey tile."""
    featured = (methods_module.rerun_by_restarts(stem.parent, done["ours_restarts"])
                if "ours_restarts" in methods else [])
    rows = grid_rows(usable, done, methods, count, featured)
    if not rows:
        return
    photos = dataset.read([usable[identity][0] for identity in rows])
    tiles = []
    for identity in rows:
        tiles.append(photos[usable[identity][0]])
        tiles += [face_tile(stem.parent, method, identity, done[method], 128) for method in methods]
    save_png(make_grid(tiles, 1 + len(methods), 128), stem.with_suffix(".png"))
    missing = [f"{methods_module.LABELS[m]} on {', '.join(i for i in rows if i not in done[m])}" for m in methods
               if any(i not in done[m] for i in rows)]
    report_files.write_text(stem.with_suffix(".txt"), "columns: source photo, " + ", ".join(
        methods_module.LABELS[m] for m in methods) + "\nrows: " + ", ".join(rows) + "\n" + (
        "grey (not run): " + "; ".join(missing) + "\n" if missing else ""))
