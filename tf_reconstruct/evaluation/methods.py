"""The comparison methods' reconstructions, written beside ours in a run folder (the paper's Table 3 rows).

    reconstructions/                ours: the paper's optimisation (written by the main experiment)
    reconstructions_mapping/        Mapping (Dong et al.): template -> w, rendered at 1024
    reconstructions_mapping_wplus/  its w+ variant
    reconstructions_mapping_opt/    Mapping + optimisation: the paper's optimisation started at the Mapping's w
    reconstructions_nbnet/          NbNet (Mai et al.): template -> 160x160 face
    reconstructions_ours_restarts/  beyond the paper: ours, restarting a sample whose first steps overshot
                                      or whose render holds no face MTCNN finds
    reconstructions_z_mean/         the paper's ablations (Figs. 2 and 3): ours optimising z or w from the
    reconstructions_w_mean/           mean, or w+ from a uniform random start; every other engine
    reconstructions_wplus_uniform/    setting is the main run's
    reconstructions_ours_eot/ ...   beyond the paper: ours with engine options (optimize/recipes.py: expectation
                                      over transformations, latent penalties, warm starts from the latent
                                      bank), each measured against ours in experiments/fidelity

Latent methods keep <identity>_wplus.npy and <identity>.json (the face is rendered again from the w+
when its PNG is missing); NbNet keeps its small PNG. A method's output is made once per identity, so
re-running the same command only adds identities; NbNet's faces are made again when NbNet has been retrained.
"""

import json
import pathlib

import numpy as np
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.align import photo_align
from tf_reconstruct.baselines import nbnet, template_to_latent
from tf_reconstruct.blackbox.methods import BB_METHODS
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import aligned_faces
from tf_reconstruct.models import precision as precisions
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.optimize import recipes, runner, warm_starts
from tf_reconstruct.plots.image_grid import save_png

# The ablations change only these engine settings; ours is W+ from the mean.
ABLATIONS = {"z_mean": {"space": "z", "init": "mean"}, "w_mean": {"space": "w", "init": "mean"},
             "wplus_uniform": {"space": "wplus", "init": "uniform"}}
# The ablation grid's columns in the paper's order: Z, W, then W+ from the mean (ours) and from uniform.
ABLATION_ORDER = ("z_mean", "w_mean", "ours", "wplus_uniform")
VARIANTS = recipes.RECIPES   # beyond the paper: ours with engine options (optimize/recipes.py)
# Black-box methods (blackbox/methods.py): they attack a --attack_model seen only through its outputs.
BLACKBOX = BB_METHODS
METHODS = (("ours", "mapping", "mapping_wplus", "mapping_opt", "nbnet", "ours_restarts") + tuple(ABLATIONS)
           + tuple(VARIANTS) + tuple(BLACKBOX))
# One forward pass per face: cheap enough to run on every selected identity, not only on those ours has finished.
ONE_PASS = ("mapping", "mapping_wplus", "nbnet")
LABELS = {"ours": "ours (W+ optimisation)", "mapping": "Mapping (w)", "mapping_wplus": "Mapping (w+)",
          "mapping_opt": "Mapping + optimisation", "nbnet": "NbNet", "ours_restarts": "ours + restarts",
          "z_mean": "Z, mean start", "w_mean": "W, mean start", "wplus_uniform": "W+, uniform start",
          **{method: recipe.label for method, recipe in VARIANTS.items()},
          **{method: f"black box: {entry.label}" for method, entry in BLACKBOX.items()}}
# Beyond the paper, drawn beside ours in Fig. 5 when a run compares it.
FIG5_BESIDE_OURS = ("ours_plus",)
# Every method renders through the generator at 1024 px except NbNet, which draws its own 160 px face.
RESOLUTIONS = {method: {"nbnet": "160x160", "bb_blobs": "112x112"}.get(method, "1024x1024") for method in METHODS}


def output_dir(run_dir, method):
    return pathlib.Path(run_dir) / ("reconstructions" if method == "ours" else f"reconstructions_{method}")


def finished(run_dir, method, identities):
    """The identities whose reconstruction by `method` is done, in the given order."""
    folder = output_dir(run_dir, method)
    if method == "nbnet":
        return [identity for identity in identities if (folder / f"{identity}.png").is_file()]
    return [identity for identity in identities if runner.is_done(folder, identity)]


def reference(methods):
    """The run's reference method: ours when listed, else the first; Tables 1-2 score its faces, and the
    others are compared with it on the identities it has finished."""
    return "ours" if "ours" in methods else methods[0]


def check_methods(methods):
    """Raises InputError, naming the choices, for an unknown method, or a reference (ours, else the first
    listed) that is not an optimisation making one face per template (ours or a recipe)."""
    unknown = [method for method in methods if method not in METHODS]
    if unknown or not methods:
        raise InputError(f"--methods: unknown {', '.join(unknown) or '(none given)'}; choose from "
                         f"{', '.join(METHODS)}")
    lead = reference(methods)
    black = [method for method in methods if method in BLACKBOX]
    if black and len(black) < len(methods):
        raise InputError(f"--methods: black-box methods ({', '.join(black)}) attack a system seen only through its "
                         f"outputs and cannot share a run with the white-box {', '.join(set(methods) - set(black))}; "
                         f"run them apart")
    if black:
        return
    if lead != "ours" and lead not in VARIANTS:
        raise InputError(f"--methods={','.join(methods)}: without ours the first method is the reference the "
                         f"others are compared with, and {lead} is not one; put ours or one of "
                         f"{', '.join(VARIANTS)} first")
    if "ours_restarts" in methods and "ours" not in methods:
        raise InputError("--methods: ours_restarts starts from ours' own faces; add ours to the list")


def aligned_cache_name(method):
    """The run cache file of `method`'s MTCNN-aligned faces (ours keeps its older name)."""
    return "aligned_reconstructions.npz" if method == "ours" else f"aligned_{method}.npz"


def aligned_method_faces(run_dir, method, identities):
    """`method`'s reconstructions MTCNN-aligned as a system sees them, cached in the run:
    ({identity: face [112, 112, 3] uint8}, {identity: why no face})."""
    def items():
        for identity in identities:
            yield identity, identity, read_face(run_dir, method, identity)
    return aligned_faces.align_images(items(), pathlib.Path(run_dir) / "cache" / aligned_cache_name(method),
                                      total=len(identities))


def _mapping_outputs(run_dir, generator, model, templates, method):
    """Predicts and renders the Mapping's face for every template not yet done."""
    folder = output_dir(run_dir, method)
    pending = [name for name in templates if not runner.is_done(folder, name)]
    if not pending:
        return 0
    latents = model.predict(np.stack([templates[name] for name in pending]))
    for name, w_plus in tqdm(list(zip(pending, latents)), desc=f"rendering {method}", unit="face"):
        images, _ = engine.render(generator, w_plus[None])
        record = {"template": name, "method": method, "steps": 0, "generator": generator.name,
                  "extractor": model.extractor, "trained_on_pairs": model.log.get("pairs"),
                  "best_epoch": model.log.get("best_epoch")}
        runner.write_outputs(folder, name, images[0], w_plus, record)
    return len(pending)


def nbnet_stamp(meta):
    """What identifies a trained NbNet: its training pairs and its best epoch's held-out losses."""
    best = [epoch for epoch in meta["epochs"] if epoch["epoch"] == meta["best_epoch"]]
    return {"pairs": meta["pairs"], "best_epoch": meta["best_epoch"],
            "validation": best[0]["validation"] if best else None}


def _discard_stale_nbnet(run_dir, folder, meta):
    """Deletes NbNet faces made by a since-retrained NbNet (and their alignments), so they are made again."""
    record = folder / "model.json"
    if not record.is_file() or nbnet_stamp(json.loads(record.read_text())) == nbnet_stamp(meta):
        return
    stale = sorted(folder.glob("*.png"))
    logging.warning("NbNet was retrained (%s -> %s): remaking its %d faces in %s", nbnet_stamp(
        json.loads(record.read_text())), nbnet_stamp(meta), len(stale), folder)
    for path in stale + [pathlib.Path(run_dir) / "cache" / "aligned_nbnet.npz", record]:
        path.unlink(missing_ok=True)


def _nbnet_outputs(run_dir, templates, baselines_dir, extractor_name):
    folder = output_dir(run_dir, "nbnet")
    model, meta = nbnet.load_nbnet(baselines_dir, extractor_name)
    _discard_stale_nbnet(run_dir, folder, meta)
    pending = [name for name in templates if not (folder / f"{name}.png").is_file()]
    if not pending:
        return 0
    faces = nbnet.generate_faces(model, np.stack([templates[name] for name in pending]))
    for name, face in zip(pending, faces):
        save_png(face, folder / f"{name}.png")
    atomic_files.write_text(folder / "model.json", json.dumps(
        {key: meta[key] for key in ("pairs", "best_epoch", "epochs")}, indent=1))
    return len(pending)


def make_outputs(methods, run_dir, generator, attacker, templates, baselines_dir, engine_settings,
                 max_optimisations=None, optimisable=None, blackbox=None):
    """Makes every method's missing reconstructions; returns {method: number made this run}.

    Args:
      templates: {identity: template [D]} of every identity the one-pass methods reconstruct.
      optimisable: the identities the optimising methods (mapping_opt, the ablations) may run on: ours'
        finished ones (default: all of `templates`); at most `max_optimisations` new ones per method.
      blackbox: the run's blackbox.attack.BlackBoxConfig, for black-box methods (the attacker is then the oracle).
    """
    made = {}
    optimised = {name: templates[name] for name in (templates if optimisable is None else optimisable)}
    for method, variant in (("mapping", "w"), ("mapping_wplus", "wplus")):
        # The warm start begins at the Mapping's w, so it needs the Mapping's outputs too.
        if method in methods or (method == "mapping" and "mapping_opt" in methods):
            # Git keeps the Mapping's records and w+, not its PNGs: a clone renders them again.
            runner.restore_faces(generator, output_dir(run_dir, method), list(templates))
            made[method] = 0
            if len(finished(run_dir, method, templates)) < len(templates):
                model = template_to_latent.load_mapping(baselines_dir, variant, attacker.name)
                made[method] = _mapping_outputs(run_dir, generator, model, templates, method)
    if "nbnet" in methods:
        made["nbnet"] = _nbnet_outputs(run_dir, templates, baselines_dir, attacker.name)
    if "mapping_opt" in methods:
        pending, work = _optimisation_work(run_dir, "mapping_opt", optimised, max_optimisations)
        starts = warm_starts.Starts({name: np.load(output_dir(run_dir, "mapping") / f"{name}_wplus.npy")
                                     for name in pending}, {"kind": "mapping", "from": str(output_dir(run_dir, "mapping"))})
        made["mapping_opt"] = runner.run(generator, attacker, work, output_dir(run_dir, "mapping_opt"),
                                         engine_settings, method="mapping_opt", starts=starts)
    if "ours_restarts" in methods:
        made["ours_restarts"] = _restart_outputs(run_dir, generator, attacker, optimised, engine_settings,
                                                 max_optimisations)
    for method, changed in ABLATIONS.items():
        if method in methods:
            _, work = _optimisation_work(run_dir, method, optimised, max_optimisations)
            made[method] = runner.run(generator, attacker, work, output_dir(run_dir, method),
                                      engine_settings.replace(**changed), method=method)
    for method in BLACKBOX:
        if method in methods and method != reference(methods):
            _, work = _optimisation_work(run_dir, method, optimised, max_optimisations)
            made[method] = blackbox_outputs(method, run_dir, generator, attacker, dict(work), baselines_dir, blackbox)
    for method in VARIANTS:
        if method in methods:
            pending, work = _optimisation_work(run_dir, method, optimised, max_optimisations)
            # Starts only for the faces still to make: a finished run needs no bank.
            starts = recipes.starts_of(method, generator, attacker.name, baselines_dir,
                                       {name: optimised[name] for name in pending})
            attempts = (recipes.shared_attempt_dirs(method, run_dir, lambda other: output_dir(run_dir, other))
                        if VARIANTS[method].multi else None)
            made[method] = recipes.run(method, generator, attacker, work, output_dir(run_dir, method),
                                       recipes.settings_of(method, engine_settings), starts, attempt_dirs=attempts)
    return made


def blackbox_outputs(method, run_dir, generator, attacker, templates, baselines_dir, blackbox):
    """Black-box `method`'s faces of {identity: template of the attacked system}, which it sees only as an
    oracle (blackbox/attack.py); the surrogate is loaded only for a method that uses one. Returns faces made."""
    import dataclasses
    from tf_reconstruct.blackbox.attack import Attacker
    from tf_reconstruct.blackbox.oracle import from_extractor
    from tf_reconstruct.models import registry
    if blackbox is None:
        raise InputError(f"{method} is a black-box method: the run needs its black-box settings")
    folder = output_dir(run_dir, method)
    # Git keeps the w+ and records, not the PNGs: a clone renders its finished faces again, first.
    runner.restore_faces(generator, folder, list(templates))
    if all(runner.is_done(folder, name) for name in templates):
        return 0
    surrogate = (registry.get_attack_extractor(blackbox.surrogate) if BLACKBOX[method].uses_surrogate else None)
    oracle = from_extractor(attacker, workers=blackbox.oracle_workers, checkpoint_dir=blackbox.checkpoint_dir)
    attack = Attacker(generator, oracle, baselines_dir, dataclasses.replace(blackbox, method=method), surrogate)
    # The adapter routes of a run with one adapter share a white-box stage: the same engine on the same templates
    # (so may a later run on the same people, --bb_stage_from).
    stage_root = pathlib.Path(blackbox.stage_from or run_dir)
    return attack.run(list(templates.items()), folder, stage_dir=stage_root / f"blackbox_{attack.stage_name}")


# An overshooting attempt costs about `patience` steps, so allow a few halvings of the step.
OURS_RESTARTS = 3


def ours_overshot(record, settings):
    """Whether ours' finished run (its record) stopped on patience with its best loss in the first steps."""
    return record["steps"] < settings.steps and engine.overshot(record["steps"], settings.patience, settings.patience)


def _discard_unchecked(run_dir, names):
    """Deletes ours + restarts faces made before it checked for a face whose render has none, so they are made
    again. A face that passes stands (the check would not have changed how it was made), and its record says
    so, so that it is not checked again."""
    folder = output_dir(run_dir, "ours_restarts")
    for name in names:
        if not runner.is_done(folder, name):
            continue
        record = runner.read_record(folder, name)
        if record.get("settings", {}).get("face_check") or "face_found" in record:
            continue
        if photo_align.has_face(read_face(run_dir, "ours_restarts", name)):
            runner.write_record(folder, name, {**record, "face_found": True})
            continue
        logging.info("ours + restarts: %s renders no face and was made without the face check: making it again", name)
        for suffix in (".json", ".png", "_wplus.npy"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)


def _restart_outputs(run_dir, generator, attacker, templates, engine_settings, limit):
    """Ours with up to OURS_RESTARTS restarts and the face check (engine `restarts`, `face_check`). A sample's
    first attempt is ours' own deterministic run, so only one that overshot or renders no face can differ
    from ours: those are run again, at most `limit` of them now; the others are ours' outputs, copied.
    Returns the number run."""
    folder, ours = output_dir(run_dir, "ours_restarts"), output_dir(run_dir, "ours")
    runner.restore_faces(generator, folder, list(templates))
    _discard_unchecked(run_dir, templates)
    waiting = [name for name in templates if not runner.is_done(folder, name)]
    runner.restore_faces(generator, ours, waiting)
    records = {name: runner.read_record(ours, name) for name in waiting}
    overshot = {name for name in waiting if ours_overshot(records[name], engine_settings)}
    no_face = {name for name in waiting if name not in overshot
               and not photo_align.has_face(read_face(run_dir, "ours", name))}
    rerun = [name for name in waiting if name in overshot | no_face]
    for name in waiting:
        if name not in rerun:
            runner.copy_outputs(ours, folder, name, {"method": "ours_restarts", "restarts": 0, "copied_from": "ours",
                                                     "face_found": True})
    _, work = _optimisation_work(run_dir, "ours_restarts", {name: templates[name] for name in rerun}, limit)
    # Ours' non-faces begin at their first restart: the first attempt would repeat ours' run, step for step
    # (only if ours computed in this run's precision: a bfloat16 path is not float32's).
    precision = precisions.resolve(engine_settings.precision)
    known = {name: (float("inf"), np.load(ours / f"{name}_wplus.npy"), records[name]["steps"])
             for name, _ in work if name in no_face and records[name].get("computed_in", "float32") == precision}
    settings = engine_settings.replace(restarts=OURS_RESTARTS, face_check=True)
    return runner.run(generator, attacker, work, folder, settings, method="ours_restarts", known_attempts=known)


def rerun_by_restarts(run_dir, identities):
    """Those of `identities` ours + restarts ran again (it copies ours' output for every face that did not
    overshoot, so only these differ from ours)."""
    folder = output_dir(run_dir, "ours_restarts")
    return [name for name in identities if "copied_from" not in runner.read_record(folder, name)]


def _optimisation_work(run_dir, method, templates, limit):
    """(names to optimise now, [(name, template)] of finished + those) with at most `limit` new ones."""
    done = set(finished(run_dir, method, templates))
    pending = [name for name in templates if name not in done][:limit]
    logging.info("%s: %d done, %d to run now", LABELS[method], len(done), len(pending))
    return pending, [(name, templates[name]) for name in templates if name in done or name in pending]


def read_face(run_dir, method, identity):
    """The method's reconstruction of `identity` as RGB uint8."""
    import cv2
    path = output_dir(run_dir, method) / f"{identity}.png"
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{path} is missing or unreadable: re-run the same command to make it again")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
