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

import numpy as np
from absl import logging

from tf_reconstruct.blackbox import methods as blackbox_methods
from tf_reconstruct.checkpoints.manifest import manifest_records
from tf_reconstruct.datasets import base, selection as selecting
from tf_reconstruct.datasets.errors import DatasetError
from tf_reconstruct.evaluation import aligned_faces, borrowed_thresholds, comparison, method_summary, methods, \
    paper_numbers, protocol, report_files, resemblance
from tf_reconstruct.metrics import verification
from tf_reconstruct.optimize import recipes, runner
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
    blackbox: object = None           # blackbox.attack.BlackBoxConfig of a run whose methods are black-box (bb_...)


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
    excluded = selecting.excluded_identities(config.exclude_identities_from)
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


@dataclasses.dataclass
class Selection:
    """Stage 1's output: who is attacked, and the aligned photos the system scores with.

    chosen: {identity: [source, others...]} as selected; usable: those with a face in the source (and, for
    type II, another photo), faces first; faces: {photo: aligned [112, 112, 3] uint8}; failures: {photo:
    why no face}; dropped: what was left out and why; modes: impostor modes in play; borrowed: another run's
    operating points by evaluator (--thresholds_from)."""
    chosen: dict
    usable: dict
    faces: dict
    failures: dict
    dropped: list
    modes: list
    borrowed: dict


@dataclasses.dataclass
class Attack:
    """Stage 2's output: the templates attacked ({identity: [D]}, every usable identity's), the faces the
    reference method made in this run and its seconds, and the photos' embeddings by evaluator so far."""
    templates: dict
    reconstructed: int
    seconds: float
    photo_embeddings_of: dict


@dataclasses.dataclass
class Scores:
    """Stage 3's output: the identities finished and scored ({identity: photos}), {evaluator: {impostor mode:
    table rows}}, the per-identity columns, the finished faces' records and the faces MTCNN missed."""
    finished: dict
    results: dict
    per_identity: dict
    records: dict
    no_face: dict


def select(dataset, config, evaluator_names):
    """Stage 1: the seeded selection (selection.json), every photo it needs aligned (cache/), the usable
    identities and the impostor modes. Raises DatasetError when too little is usable."""
    run_dir = pathlib.Path(config.run_dir)
    chosen = _select(dataset, config)
    wanted_photos = {image for images in chosen.values() for image in images}
    modes = [mode for mode in config.impostor_modes if mode != "pairs" or dataset.protocol_pairs]
    # Read before the slow stages, so a wrong --thresholds_from fails at once.
    borrowed = {name: borrowed_thresholds.read_operating_points(config.thresholds_from, name)
                for name in evaluator_names} if config.thresholds_from else {}
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
    return Selection(chosen, usable, faces, failures, dropped, modes, borrowed)


def reconstruct(selection, generator, attacker, config):
    """Stage 2: the stored template is the attacker's embedding of each source photo; the run's reference
    method (ours, or the first listed) reconstructs them, at most config.max_reconstructions new ones."""
    run_dir = pathlib.Path(config.run_dir)
    lead = methods.reference(config.methods)
    folder = methods.output_dir(run_dir, lead)
    photo_embeddings_of = {attacker.name: aligned_faces.embed_faces(
        attacker, selection.faces, cache_file=run_dir / "cache" / f"embeddings_{attacker.name}.npz")}
    every_template = {identity: photo_embeddings_of[attacker.name][images[0]]
                      for identity, images in selection.usable.items()}
    templates = list(every_template.items())
    if config.max_reconstructions is not None:
        pending = [item for item in templates if not runner.is_done(folder, item[0])]
        templates = [item for item in templates if runner.is_done(folder, item[0])]
        templates += pending[:config.max_reconstructions]
    started = time.time()
    if blackbox_methods.is_blackbox(lead):
        made = methods.blackbox_outputs(lead, run_dir, generator, attacker, dict(templates), config.baselines_dir,
                                        config.blackbox)
        return Attack(every_template, made, time.time() - started, photo_embeddings_of)
    settings = recipes.settings_of(lead, config.engine_settings)
    starts = recipes.starts_of(lead, generator, attacker.name, config.baselines_dir,
                               {name: template for name, template in templates if not runner.is_done(folder, name)})
    attempts = (recipes.shared_attempt_dirs(lead, run_dir, lambda other: methods.output_dir(run_dir, other))
                if lead != "ours" and recipes.RECIPES[lead].multi else None)
    made = recipes.run(lead, generator, attacker, templates, folder, settings, starts, attempt_dirs=attempts)
    return Attack(every_template, made, time.time() - started, photo_embeddings_of)


def score(selection, attack, dataset, attacker, evaluators, config, generator_name):
    """Stage 3: every finished face of the reference method scored as the system would (MTCNN, then each
    evaluator) against the thresholds the real photos set; writes table1, table2_<evaluator>, histograms."""
    run_dir = pathlib.Path(config.run_dir)
    lead = methods.reference(config.methods)
    folder = methods.output_dir(run_dir, lead)
    # Score what is finished: a run in chunks reports its partial count honestly.
    finished = {i: images for i, images in selection.usable.items() if runner.is_done(folder, i)}
    if len(finished) < len(selection.usable):
        logging.warning("scoring %d of %d identities (the rest are not reconstructed yet)", len(finished),
                        len(selection.usable))
    recon_faces, no_face = methods.aligned_method_faces(run_dir, lead, list(finished))
    records = {identity: runner.read_record(folder, identity) for identity in finished}
    per_identity = {identity: {"identity": identity, "source": images[0], "other_photos": len(images) - 1,
                               "steps": records[identity]["steps"],
                               "attack_cosine_fixed_warp": round(records[identity]["final_cosine"], 4),
                               "reconstruction_face_found": identity in recon_faces}
                    for identity, images in finished.items()}
    results = {}
    for evaluator in evaluators:
        if evaluator.name not in attack.photo_embeddings_of:
            attack.photo_embeddings_of[evaluator.name] = aligned_faces.embed_faces(
                evaluator, selection.faces, cache_file=run_dir / "cache" / f"embeddings_{evaluator.name}.npz")
        embeddings = attack.photo_embeddings_of[evaluator.name]
        recon_embeddings = aligned_faces.embed_faces(evaluator, recon_faces)
        recon = {identity: recon_embeddings.get(identity) for identity in finished}
        type_one, type_two, owners = protocol.attack_scores(recon, embeddings, finished, evaluator.similarity)
        _per_identity_scores(per_identity, evaluator.name, finished, type_one, type_two, owners)
        results[evaluator.name] = _evaluator_tables(run_dir, evaluator, embeddings, selection, dataset, type_one,
                                                    type_two)
        _write_tables(run_dir, evaluator, attacker, results[evaluator.name], config, type_one, type_two,
                      generator_name, len(selection.usable), dataset.name)
    return Scores(finished, results, per_identity, records, no_face)


def _per_identity_scores(per_identity, evaluator_name, finished, type_one, type_two, owners):
    """Adds each identity's type I score and mean type II score under `evaluator_name`."""
    owners = np.array(owners, dtype=object)
    for identity, one in zip(finished, type_one):
        per_identity[identity][f"type_I_{evaluator_name}"] = round(float(one), 4)
        scores = type_two[owners == identity]
        per_identity[identity][f"type_II_mean_{evaluator_name}"] = (round(float(np.mean(scores)), 4)
                                                                    if scores.size else "")


def _evaluator_tables(run_dir, evaluator, embeddings, selection, dataset, type_one, type_two):
    """{impostor mode: table rows} of one evaluator, with its histograms; the system's own scores use every
    usable selected photo, reconstructed yet or not."""
    by_mode = {}
    for mode in selection.modes:
        impostor, genuine = protocol.system_scores(embeddings, selection.usable, mode, dataset.protocol_pairs,
                                                   evaluator.similarity)
        rows = protocol.table_rows(impostor, genuine, type_one, type_two)
        by_mode[mode] = rows
        save_histograms(run_dir / f"histograms_{evaluator.name}_{mode}.png", f"{evaluator.name} ({mode})", impostor,
                        genuine, type_one, type_two, [(row["FAR %"] / 100, row["threshold"]) for row in rows],
                        evaluator.similarity)
        logging.info("%s, impostors %s: %d impostor and %d genuine scores, AUC %s", evaluator.name, mode,
                     len(impostor), len(genuine),
                     f"{verification.auc(impostor, genuine):.4f}" if len(genuine) and len(impostor) else "n/a")
    for label, points in selection.borrowed.get(evaluator.name, {}).items():
        by_mode[label] = protocol.rows_at_thresholds(points, type_one, type_two)
    return by_mode


def report(selection, attack, scores, dataset, generator, attacker, evaluators, config, started):
    """Stage 4: the comparison of the other methods (Tables 3-4), the Fig. 5 grid, resemblance, per_identity,
    the methods' summary and manifest.json. Returns the comparison's output or None."""
    run_dir = pathlib.Path(config.run_dir)
    lead = methods.reference(config.methods)
    finished = scores.finished
    compared = None
    if len(config.methods) > 1 or config.liveness:
        compared = comparison.compare(comparison.Comparison(
            run_dir=run_dir, dataset=dataset, generator=generator, attacker=attacker, evaluators=evaluators,
            photo_embeddings_of=attack.photo_embeddings_of, finished=finished, templates=attack.templates,
            results=scores.results, config=config, selected=selection.usable))
    # After the comparison, which makes the other methods' faces.
    beside = [method for method in config.methods if method in methods.FIG5_BESIDE_OURS and method != lead]
    _fig5_grid(dataset, finished, run_dir, [lead] + beside)
    if config.resemblance:
        done = {method: methods.finished(run_dir, method, list(finished)) for method in config.methods}
        _, described = resemblance.write_table(run_dir, dataset, finished, done, methods.LABELS)
        for identity, images in finished.items():
            scores.per_identity[identity].update(resemblance.per_identity_columns(
                described[f"photo/{images[0]}"], described[f"{lead}/{identity}"]))
    report_files.write_table(run_dir / "per_identity", list(scores.per_identity.values()))
    if len(config.methods) > 1:
        # A deployed system's operating point (another run's `all` thresholds) when one was given.
        impostors = next((mode for mode in scores.results[attacker.name] if mode.endswith("-all")), "all")
        method_summary.write_summary(run_dir, impostors, [evaluator.name for evaluator in evaluators])
    _write_manifest(selection, attack, scores, dataset, generator, attacker, evaluators, config, compared, started)
    return compared


def _write_manifest(selection, attack, scores, dataset, generator, attacker, evaluators, config, compared, started):
    manifest = {
        "dataset": dataset.name, "data_source": dataset.source, "generator": generator.name,
        "attack_extractor": attacker.name, "eval_extractors": [e.name for e in evaluators],
        "reference_method": methods.reference(config.methods),
        "identities_selected": len(selection.chosen), "identities_usable": len(selection.usable),
        "identities_reconstructed_and_scored": len(scores.finished), "dropped": selection.dropped,
        "photos_without_face": len(selection.failures), "reconstructions_without_face": sorted(scores.no_face),
        "reconstructed_this_run": attack.reconstructed, "attack_seconds_this_run": round(attack.seconds, 1),
        "mean_steps": float(np.mean([r["steps"] for r in scores.records.values()])),
        "engine_settings": config.engine_settings.to_record(),
        "impostor_modes": selection.modes, "thresholds_from": config.thresholds_from and str(config.thresholds_from),
        "methods": list(config.methods), "liveness": list(config.liveness),
        "comparison_outputs_made_this_run": compared and compared["made"],
        "seconds_this_run": round(time.time() - started, 1),
        "models": manifest_records(), "flags": config.flags_text,
    }
    report_files.write_text(pathlib.Path(config.run_dir) / "manifest.json", json.dumps(manifest, indent=1, default=str))


def run_experiment(dataset, generator, attack_extractor, eval_extractors, config):
    """Runs (or resumes) the experiment in its stages, select -> reconstruct -> score -> report; returns
    {evaluator name: {impostor mode: table rows}}."""
    started = time.time()
    run_dir = pathlib.Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_settings(run_dir, config.engine_settings)
    evaluators = [attack_extractor] + [e for e in eval_extractors if e.name != attack_extractor.name]
    selection = select(dataset, config, [evaluator.name for evaluator in evaluators])
    attack = reconstruct(selection, generator, attack_extractor, config)
    scores = score(selection, attack, dataset, attack_extractor, evaluators, config, generator.name)
    report(selection, attack, scores, dataset, generator, attack_extractor, evaluators, config, started)
    return scores.results


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
