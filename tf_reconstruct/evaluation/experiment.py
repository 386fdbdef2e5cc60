"""The paper's experiment end to end (its section 2), resumable, into experiments/<dataset>/<run_name>/:

  1. select identities (seeded), one source photo each, the rest for type II -> selection.json
  2. MTCNN-align every selected photo (and, for `pairs`, every protocol photo) -> cache/
  3. attack: the attacking extractor's template of each source photo, reconstructed -> reconstructions/
  4. score the reconstructions as the system would (MTCNN on the 1024 px face, then each evaluating
     extractor) and write table1 (evaluator = attacker), table2_<evaluator> (others), histograms,
     the Fig. 5 grid, per_identity.csv and manifest.json;
  5. with other methods or liveness detectors asked for: table3, table4 and the Fig. 6/9 grid
     (comparison.py), on the identities ours has finished.
Every stage reuses what an earlier, interrupted run finished.
"""

import dataclasses
import json
import pathlib
import time

import cv2
import numpy as np
from absl import logging

from tf_reconstruct.checkpoints.manifest import manifest_records
from tf_reconstruct.datasets import base, selection as selecting
from tf_reconstruct.datasets.errors import DatasetError
from tf_reconstruct.evaluation import aligned_faces, borrowed_thresholds, comparison, method_summary, methods, \
    paper_numbers, protocol, report_files, resemblance
from tf_reconstruct.metrics import verification
from tf_reconstruct.optimize import runner
from tf_reconstruct.optimize.settings import COMPUTE_ONLY, EngineSettings, SettingsError
from tf_reconstruct.plots.histograms import save_histograms
from tf_reconstruct.plots.image_grid import make_grid, save_png

EVAL_TYPES = ("I", "II", "both")


@dataclasses.dataclass
class ExperimentConfig:
    run_dir: pathlib.Path
    num_identities: int
    seed: int
    eval_type: str
    impostor_modes: tuple
    engine_settings: EngineSettings
    flags_text: str = ""
    max_reconstructions: int = None   # new reconstructions this run (None: all); scoring uses every finished one
    methods: tuple = ("ours",)        # evaluation/methods.METHODS; more than ours writes table3 (comparison.py)
    liveness: tuple = ()              # liveness/detectors.DETECTORS names; any writes table4
    baselines_dir: pathlib.Path = None
    max_warm_starts: int = None       # new Mapping + optimisation runs this run (None: as max_reconstructions)
    thresholds_from: pathlib.Path = None  # a finished run whose thresholds also score this one (borrowed_thresholds)
    exclude_identities_from: tuple = ()  # runs whose selected identities this one must not draw
    resemblance: bool = True          # gender and age of every face against its source (evaluation/resemblance.py)
    grid_rows: int = 6                # identities in the methods grid (fig6_methods.png)


def _select(dataset, config):
    """{identity: [source, others...]} of photos, fixed by selection.json once written."""
    path = config.run_dir / "selection.json"
    wanted = {"dataset": dataset.name, "seed": config.seed, "num_identities": config.num_identities,
              "eval_type": config.eval_type}
    if path.is_file():
        saved = json.loads(path.read_text())
        if {key: saved.get(key) for key in wanted} != wanted:
            raise DatasetError(f"{path} was made with {({k: saved.get(k) for k in wanted})}, not {wanted}: "
                               f"choose another --run_name or delete the run folder")
        return saved["identities"]
    needs_two = config.eval_type != "I"
    if needs_two and not dataset.labelled:
        raise DatasetError(f"{dataset.name} has no identity labels, so type II is impossible: use --eval_type=I")
    excluded = excluded_identities(config.exclude_identities_from)
    candidates = {name: images for name, images in dataset.images_by_identity.items() if name not in excluded}
    try:
        identities = selecting.select_identities(candidates, config.num_identities, config.seed,
                                                 min_images=2 if needs_two else 1)
    except DatasetError as error:
        if not excluded:
            raise
        raise DatasetError(f"{error} (after leaving out the {len(excluded)} identities that "
                           f"--exclude_identities_from names)") from error
    chosen = {}
    for identity in identities:
        source, others = selecting.split_source(dataset.images_by_identity[identity])
        chosen[identity] = [source] + (others if needs_two else [])
    report_files.write_text(path, json.dumps({**wanted, "identities": chosen, "excluded_identities_of": [
        str(run_dir) for run_dir in config.exclude_identities_from], "excluded_count": len(excluded)}, indent=1))
    return chosen


def excluded_identities(run_dirs):
    """The identities other runs selected (their selection.json), which a study of other people must not draw."""
    excluded = set()
    for run_dir in run_dirs:
        path = pathlib.Path(run_dir) / "selection.json"
        if not path.is_file():
            raise DatasetError(f"--exclude_identities_from={run_dir}: no selection.json there; give run folders "
                               f"such as experiments/lfw/<run_name>, separated by commas")
        excluded |= set(json.loads(path.read_text())["identities"])
    return excluded


def _check_settings(run_dir, engine_settings):
    """A run folder holds reconstructions of one engine setting: refuse to resume it with another (but for
    the settings that change only how fast a face is made, settings.COMPUTE_ONLY)."""
    path = run_dir / "engine_settings.json"
    if path.is_file():
        saved = EngineSettings.from_record(json.loads(path.read_text()))
        changed = saved.differences(engine_settings, ignore=COMPUTE_ONLY)
        if changed:
            raise SettingsError(f"{run_dir} holds reconstructions made with other engine settings ({', '.join(changed)}: "
                                f"{[there for there, _ in changed.values()]} there, "
                                f"{[now for _, now in changed.values()]} now); choose another --run_name to keep both")
    else:
        report_files.write_text(path, json.dumps(engine_settings.to_record(), indent=1))


def _drop_unusable(chosen, faces, failures, eval_type):
    """Keeps identities whose source photo has a face (and, for type II, another photo with one).

    Returns the usable selection (source first) and a list of what was dropped and why.
    """
    usable, dropped = {}, []
    for identity, images in chosen.items():
        detected = [image for image in images if image in faces]
        if not detected:
            dropped.append(f"{identity}: no face found in any of its {len(images)} photos")
            continue
        if detected[0] != images[0]:
            dropped.append(f"{identity}: no face in source {images[0]}; {detected[0]} is the source instead")
        if eval_type != "I" and len(detected) < 2:
            dropped.append(f"{identity}: needs a second photo with a face for type II")
            continue
        usable[identity] = detected
    for image, reason in failures.items():
        logging.info("photo skipped: %s", reason)
    return usable, dropped


def _reconstruction_faces(run_dir, identities):
    """MTCNN-aligned reconstructions, as a system sees them: ({identity: face}, {identity: reason})."""
    folder = run_dir / "reconstructions"

    def items():
        for identity in identities:
            image = cv2.imread(str(folder / f"{identity}.png"), cv2.IMREAD_COLOR)
            yield identity, identity, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return aligned_faces.align_images(items(), run_dir / "cache" / "aligned_reconstructions.npz",
                                      total=len(identities))


def _fig5_grid(dataset, usable, run_dir, methods_shown=("ours",), count=6):
    """Per row: the source photo, each method's reconstruction (ours, then any of methods.FIG5_BESIDE_OURS the
    run compared; grey where one has not finished) and, where there is one, another photo of the person."""
    with_others = [identity for identity, images in usable.items() if len(images) > 1][:count]
    identities = with_others or list(usable)[:count]
    if not identities:
        return
    photos = dataset.read([image for identity in identities for image in usable[identity][:2 if with_others else 1]])
    done = {method: set(methods.finished(run_dir, method, identities)) for method in methods_shown}
    tiles = []
    for identity in identities:
        tiles.append(photos[usable[identity][0]])
        tiles += [comparison.face_tile(run_dir, method, identity, done[method], 256) for method in methods_shown]
        tiles += [photos[usable[identity][1]]] if with_others else []
    columns = 1 + len(methods_shown) + bool(with_others)
    save_png(make_grid(tiles, columns, 256), run_dir / "fig5_source_reconstruction_other.png")
    report_files.write_text(run_dir / "fig5_source_reconstruction_other.txt", "columns: source photo, " + ", ".join(
        methods.LABELS[method] for method in methods_shown) + (", another photo" if with_others else "") +
        "\nrows: " + ", ".join(identities) + "\n")


def run_experiment(dataset, generator, attack_extractor, eval_extractors, config):
    """Runs (or resumes) the experiment; returns {evaluator name: {impostor mode: table rows}}."""
    started = time.time()
    run_dir = pathlib.Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_settings(run_dir, config.engine_settings)
    chosen = _select(dataset, config)
    wanted_photos = {image for images in chosen.values() for image in images}
    modes = [mode for mode in config.impostor_modes if mode != "pairs" or dataset.protocol_pairs]
    # Read before the slow stages, so a wrong --thresholds_from fails at once.
    borrowed = {evaluator.name: borrowed_thresholds.read_operating_points(config.thresholds_from, evaluator.name)
                for evaluator in [attack_extractor, *eval_extractors]} if config.thresholds_from else {}
    if "pairs" in config.impostor_modes and "pairs" not in modes:
        logging.warning("%s has no protocol pairs: impostor mode 'pairs' skipped", dataset.name)
    if "pairs" in modes:
        wanted_photos |= {image for pair in dataset.protocol_pairs for image in pair[:2]}
    owner_of = {image: identity for identity, images in chosen.items() for image in images}
    by_identity = {}
    for image in sorted(wanted_photos):
        # Protocol-only photos are LFW ids, <name>_<number>.
        by_identity.setdefault(owner_of.get(image) or image.rsplit("_", 1)[0], []).append(image)
    photo_dataset = dataclasses.replace(dataset, images_by_identity=by_identity)
    faces, failures = aligned_faces.align_images(base.iterate(photo_dataset, sorted(by_identity)),
                                                 run_dir / "cache" / "aligned_photos.npz", total=len(wanted_photos))
    usable, dropped = _drop_unusable(chosen, faces, failures, config.eval_type)
    if not usable:
        raise DatasetError("no selected identity has a usable photo; see the warnings above")
    logging.info("%d identities usable, %d dropped", len(usable), len(chosen) - len(usable))
    if len(usable) < 2 and "all" in modes:
        if not borrowed:
            raise DatasetError(f"only {len(usable)} usable identity: impostor mode 'all' has no impostor pairs to "
                               f"set thresholds from; attack more identities (--num_identities) or score at another "
                               f"run's thresholds (--thresholds_from)")
        logging.warning("one usable identity: impostor mode 'all' skipped; scoring at the borrowed thresholds only")
        modes.remove("all")

    # The attack: the stored template is the attacker's embedding of the source photo.
    sources = {identity: images[0] for identity, images in usable.items()}
    photo_embeddings_of = {attack_extractor.name: aligned_faces.embed_faces(
        attack_extractor, faces, cache_file=run_dir / "cache" / f"embeddings_{attack_extractor.name}.npz")}
    templates = [(identity, photo_embeddings_of[attack_extractor.name][source]) for identity, source in sources.items()]
    every_template = dict(templates)
    if config.max_reconstructions is not None:
        pending = [t for t in templates if not runner.is_done(run_dir / "reconstructions", t[0])]
        templates = [t for t in templates if runner.is_done(run_dir / "reconstructions", t[0])]
        templates += pending[:config.max_reconstructions]
    attack_started = time.time()
    reconstructed = runner.run(generator, attack_extractor, templates, run_dir / "reconstructions",
                               config.engine_settings)
    attack_seconds = time.time() - attack_started
    # Score what is finished: a run in chunks reports its partial count honestly.
    selected_count, all_usable = len(usable), usable
    usable = {i: images for i, images in usable.items() if runner.is_done(run_dir / "reconstructions", i)}
    if len(usable) < selected_count:
        logging.warning("scoring %d of %d identities (the rest are not reconstructed yet)", len(usable),
                        selected_count)

    recon_faces, recon_failures = _reconstruction_faces(run_dir, list(usable))
    records = {identity: runner.read_record(run_dir / "reconstructions", identity) for identity in usable}
    results, per_identity = {}, {identity: {"identity": identity, "source": sources[identity],
                                            "other_photos": len(usable[identity]) - 1,
                                            "steps": records[identity]["steps"],
                                            "attack_cosine_fixed_warp": round(records[identity]["final_cosine"], 4),
                                            "reconstruction_face_found": identity in recon_faces}
                                 for identity in usable}
    evaluators = [attack_extractor] + [e for e in eval_extractors if e.name != attack_extractor.name]
    for evaluator in evaluators:
        if evaluator.name not in photo_embeddings_of:
            photo_embeddings_of[evaluator.name] = aligned_faces.embed_faces(
                evaluator, faces, cache_file=run_dir / "cache" / f"embeddings_{evaluator.name}.npz")
        photo_embeddings = photo_embeddings_of[evaluator.name]
        recon_embeddings = aligned_faces.embed_faces(evaluator, recon_faces)
        recon = {identity: recon_embeddings.get(identity) for identity in usable}
        type_one, type_two, owners = protocol.attack_scores(recon, photo_embeddings, usable, evaluator.similarity)
        for identity, score in zip(usable, type_one):
            per_identity[identity][f"type_I_{evaluator.name}"] = round(float(score), 4)
        owners = np.array(owners, dtype=object)
        for identity in usable:
            scores = type_two[owners == identity]
            per_identity[identity][f"type_II_mean_{evaluator.name}"] = (round(float(np.mean(scores)), 4)
                                                                        if scores.size else "")
        results[evaluator.name] = {}
        for mode in modes:
            # The system's own scores use every usable selected photo, reconstructed yet or not.
            impostor, genuine = protocol.system_scores(photo_embeddings, all_usable, mode, dataset.protocol_pairs,
                                                       evaluator.similarity)
            rows = protocol.table_rows(impostor, genuine, type_one, type_two)
            results[evaluator.name][mode] = rows
            save_histograms(run_dir / f"histograms_{evaluator.name}_{mode}.png",
                            f"{evaluator.name} ({mode})", impostor, genuine, type_one, type_two,
                            [(row["FAR %"] / 100, row["threshold"]) for row in rows], evaluator.similarity)
            logging.info("%s, impostors %s: %d impostor and %d genuine scores, AUC %s", evaluator.name, mode,
                         len(impostor), len(genuine),
                         f"{verification.auc(impostor, genuine):.4f}" if len(genuine) and len(impostor) else "n/a")
        for label, points in borrowed.get(evaluator.name, {}).items():
            results[evaluator.name][label] = protocol.rows_at_thresholds(points, type_one, type_two)
        _write_tables(run_dir, evaluator, attack_extractor, results[evaluator.name], config, type_one, type_two,
                      generator.name, selected_count, dataset.name)
    compared = None
    if len(config.methods) > 1 or config.liveness:
        compared = comparison.compare(run_dir, dataset, generator, attack_extractor, evaluators, photo_embeddings_of,
                                      usable, every_template, results, config, all_usable)
    # After the comparison, which makes the other methods' faces.
    _fig5_grid(dataset, usable, run_dir, ["ours"] + [m for m in config.methods if m in methods.FIG5_BESIDE_OURS])
    if config.resemblance:
        done = {method: methods.finished(run_dir, method, list(usable)) for method in config.methods}
        _, described = resemblance.write_table(run_dir, dataset, usable, done, methods.LABELS)
        for identity in usable:
            per_identity[identity].update(resemblance.per_identity_columns(
                described[f"photo/{sources[identity]}"], described[f"ours/{identity}"]))
    report_files.write_table(run_dir / "per_identity", list(per_identity.values()))
    if len(config.methods) > 1:
        # A deployed system's operating point (another run's `all` thresholds) when one was given.
        impostors = next((mode for mode in results[attack_extractor.name] if mode.endswith("-all")), "all")
        method_summary.write_summary(run_dir, impostors, [evaluator.name for evaluator in evaluators])
    manifest = {
        "dataset": dataset.name, "data_source": dataset.source, "generator": generator.name,
        "attack_extractor": attack_extractor.name, "eval_extractors": [e.name for e in evaluators],
        "identities_selected": len(chosen), "identities_usable": selected_count,
        "identities_reconstructed_and_scored": len(usable), "dropped": dropped,
        "photos_without_face": len(failures), "reconstructions_without_face": sorted(recon_failures),
        "reconstructed_this_run": reconstructed, "attack_seconds_this_run": round(attack_seconds, 1),
        "mean_steps": float(np.mean([r["steps"] for r in records.values()])),
        "engine_settings": config.engine_settings.to_record(),
        "impostor_modes": modes, "thresholds_from": config.thresholds_from and str(config.thresholds_from),
        "methods": list(config.methods), "liveness": list(config.liveness),
        "comparison_outputs_made_this_run": compared and compared["made"],
        "seconds_this_run": round(time.time() - started, 1),
        "models": manifest_records(), "flags": config.flags_text,
    }
    report_files.write_text(run_dir / "manifest.json", json.dumps(manifest, indent=1, default=str))
    return results


def _write_tables(run_dir, evaluator, attacker, by_mode, config, type_one, type_two, generator_name, selected_count,
                  dataset_name):
    same = evaluator.name == attacker.name
    stem = run_dir / ("table1" if same else f"table2_{evaluator.name}")
    what = "Table 1 analogue (evaluator = attacker)" if same else "Table 2 analogue (a different evaluator)"
    rows = [{"impostors": mode, **row} for mode, mode_rows in by_mode.items() for row in mode_rows]
    if config.eval_type == "I":
        rows = [{k: v for k, v in row.items() if k != "type II TAR %"} for row in rows]
    if config.eval_type == "II":
        rows = [{k: v for k, v in row.items() if k != "type I TAR %"} for row in rows]
    partial = "" if len(type_one) == selected_count else f" (of {selected_count} selected; the run is partial)"
    heading = (f"{what}: generator {generator_name}, attacked with {attacker.name}, evaluated with {evaluator.name}; "
               f"{len(type_one)} identities{partial}, {len(type_two)} type II comparisons. Accept if score > threshold.")
    if evaluator.similarity == "negative_euclidean":
        heading += (" Scores are minus the Euclidean distance of the descriptors (dlib's own rule accepts a distance "
                    "below 0.6, a score above -0.6).")
    report_files.write_table(stem, rows, heading)
    paper = (paper_numbers.TABLE1 if same else paper_numbers.TABLE2).get(dataset_name)
    if paper and config.eval_type == "both":
        for mode, mode_rows in by_mode.items():
            report_files.write_table(f"{stem}_vs_paper_{mode}", paper_numbers.side_by_side(mode_rows, paper),
                                     heading + f" Impostors: {mode}. The paper: ArcFace-Inception attacker, "
                                     f"{'Inception' if same else 'Xception'} evaluator, StyleGAN2.")
