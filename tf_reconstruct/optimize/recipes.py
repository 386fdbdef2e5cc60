"""The named attacks beyond the paper: ours with engine options, as {name: Recipe}.

    RECIPES[name] -> Recipe(start, changes, label)
    settings_of(name, base EngineSettings) -> EngineSettings
    starts_of(name, ...) -> warm_starts.Starts or None
    run(name, ...) -> faces finished: the resumable runner, multi_start for a multi-start recipe, or
      coarse_to_fine's two stages
    shared_attempt_dirs(name, run_dir, folder_of) -> where a multi-start recipe's attempts go in a run folder

`ours` is the paper's engine (its section 1) with whatever engine flags are given; every recipe changes
only the settings it names (`changes`, EngineSettings fields), on top of those. A recipe's start is 'mean'
(the paper's mean w+), 'bank' (the latent bank of generated pairs, warm_starts.py) or 'mapping' (the trained
Mapping baseline's w). Each is measured against ours on people the 150-identity run did not use
(experiments/fidelity).
"""

import dataclasses
import pathlib

import numpy as np
from absl import logging

from tf_reconstruct.errors import InputError
from tf_reconstruct.optimize import coarse_to_fine, multi_start, runner, warm_starts


@dataclasses.dataclass(frozen=True)
class Recipe:
    start: object     # a start of STARTS, or a tuple of them: a multi-start (multi_start.py) keeps the best
    changes: dict     # EngineSettings fields this recipe sets on top of the base settings
    label: str
    combine: str = "best"   # a multi-start's combination of its attempts (multi_start.COMBINES)
    bank_pairs: int = None  # a bank start from the pair store's first bank_pairs pairs only (None: all of them)

    @property
    def multi(self):
        return isinstance(self.start, tuple)


EOT = {"augment": 1.0, "augment_views": 4}
SPREAD = {"spread_penalty": 1.0}
ADAM = {"optimizer": "adam", "schedule": "projector"}
RESTARTS = {"restarts": 3, "face_check": True}   # as ours_restarts: an overshoot or a non-face starts again
# The fast candidates' common ground (issue 35): ours_plus's options with 2 views, coarse to fine (256 px for
# at most 300 steps, then 512) and the success stop at the attacker's 99% genuine-pair cosine, held 10.
FAST = {**EOT, "augment_views": 2, **SPREAD, **RESTARTS, "coarse_scale": 2, "coarse_steps": 300,
        "success_cosine": 0.929, "success_steps": 10}
# They run in this order: ours_plus, the combination the screen chose (experiments/fidelity), then the
# options it was chosen from.
RECIPES = {
    "ours_plus": Recipe("bank", {**EOT, **SPREAD, **RESTARTS}, "ours+ (bank start, EOT, spread, restarts)"),
    # The fast method (issue 35, experiments/speed), chosen on the 24 and the 48 among the candidates below: the
    # settings of ours_fast_c2f_hold30, the default of `reconstruct` and `make run`.
    "ours_fast": Recipe("bank", {**FAST, "coarse_success_steps": 30},
                        "ours_fast (256 to 512 px, 2 views, success stop 0.929 held 30 coarse / 10 fine)"),
    "ours_bank_eot_spread": Recipe("bank", {**EOT, **SPREAD}, "ours from the bank + EOT + spread"),
    "ours_bank": Recipe("bank", {}, "ours from the latent bank"),
    "ours_eot": Recipe("mean", EOT, "ours + EOT"),
    "ours_spread": Recipe("mean", SPREAD, "ours + row-spread penalty"),
    "ours_bank_eot": Recipe("bank", EOT, "ours from the bank + EOT"),
    # Adam with the StyleGAN2 projector's schedule (the paper's alternative optimizer) on the same options.
    "ours_bank_eot_spread_adam": Recipe("bank", {**EOT, **SPREAD, **ADAM}, "ours from the bank + EOT + spread, Adam"),
    "ours_multi_eot_spread": Recipe(("bank", "bank_nearest", "mean"), {**EOT, **SPREAD},
                                    "ours, 3 starts (bank, nearest, mean) + EOT + spread"),
    # The same attempts, their w+ averaged (in a run folder they are shared, so this costs one render a face).
    "ours_multi_avg_eot_spread": Recipe(("bank", "bank_nearest", "mean"), {**EOT, **SPREAD},
                                        "ours, 3 starts averaged (bank, nearest, mean) + EOT + spread", "average"),
    # Issue 35's candidates for a fast method (experiments/speed): ours_plus's options with 2 EOT views, the loss
    # image at half the resolution (256 px) until the coarse stage stops, then at the resolution (512), and the
    # success stop at the attacker's 90% genuine-pair quantile on LFW View 1 (experiments/speed/success_level.md),
    # held 10 evaluations.
    "ours_fast_c2f": Recipe("bank", {**FAST, "success_cosine": 0.865},
                            "ours+ fast candidate (256 to 512 px, 2 views, success stop 0.865)"),
    # The same, stopping at the attacker's 99% genuine-pair quantile: closer to the template before it stops.
    "ours_fast_c2f_q99": Recipe("bank", FAST, "ours+ fast candidate (256 to 512 px, 2 views, success stop 0.929)"),
    # The 48 found q99's faces less like the person (gender) than ours_plus's: hold the level longer, in the
    # cheap coarse stage only (hold30), or in both stages (k30).
    "ours_fast_c2f_hold30": Recipe("bank", {**FAST, "coarse_success_steps": 30},
                                   "ours+ fast candidate (256 to 512 px, 2 views, 0.929 held 30 coarse, 10 fine)"),
    "ours_fast_c2f_k30": Recipe("bank", {**FAST, "success_steps": 30},
                                "ours+ fast candidate (256 to 512 px, 2 views, success stop 0.929 held 30)"),
    # hold30 from the first 4,000 pairs of the bank only: a bank built in about 5 minutes instead of 25.
    "ours_fast_c2f_hold30_bank4k": Recipe("bank", {**FAST, "coarse_success_steps": 30},
                                          "ours+ fast candidate (hold30 from a 4,000-pair bank)", bank_pairs=4000),
    # The 48 found hold30's faces still less often of the person's gender than ours_plus's: hold 60.
    "ours_fast_c2f_hold60": Recipe("bank", {**FAST, "coarse_success_steps": 60},
                                   "ours+ fast candidate (256 to 512 px, 2 views, 0.929 held 60 coarse, 10 fine)"),
}
# 'bank': the similarity-weighted mean of the nearest bank entries; 'bank_nearest': the nearest one alone.
STARTS = ("mean", "bank", "bank_nearest", "mapping")


def check_method(name):
    """Raises InputError, naming the choices, for a name that is not ours or a recipe."""
    if name != "ours" and name not in RECIPES:
        raise InputError(f"unknown method {name!r}; choose ours or one of {', '.join(RECIPES)}")


def settings_of(name, base):
    """The EngineSettings of recipe `name` ('ours' for the paper's) on top of `base` (an EngineSettings)."""
    check_method(name)
    return base if name == "ours" else base.replace(**RECIPES[name].changes)


def run(name, generator, extractor, templates, out_dir, settings, starts, attempt_dirs=None,
        options=runner.RunOptions()):
    """Reconstructs `templates` into `out_dir` with recipe `name` ('ours' included), given its settings and
    starts (settings_of, starts_of); a multi-start keeps its attempts in `attempt_dirs` (shared_attempt_dirs;
    default <out_dir>/starts). `options`: runner.RunOptions. Returns the faces made."""
    if name != "ours" and RECIPES[name].multi:
        if settings.coarse_scale > 1:
            raise InputError(f"{name}: a multi-start recipe runs one resolution; leave out --coarse_scale")
        return multi_start.run(generator, extractor, templates, out_dir, settings, starts, method=name,
                               combine=RECIPES[name].combine, attempt_dirs=attempt_dirs, options=options)
    if settings.coarse_scale > 1:
        return coarse_to_fine.run(generator, extractor, templates, out_dir, settings, method=name, starts=starts,
                                  options=options)
    return runner.run(generator, extractor, templates, out_dir, settings, method=name, starts=starts, options=options)


def shared_attempt_dirs(name, run_dir, folder_of):
    """{kind: folder} of multi-start recipe `name`'s attempts in a run folder, so that no attempt is made twice:
    the folder of the one-start recipe with that start and the same settings when there is one (ours_bank_eot_
    spread's faces are the 'bank' attempts of ours_multi_eot_spread), else <run_dir>/multi_start_attempts/
    <kind>_<settings>, shared by every multi-start recipe with these settings. folder_of(method) -> its folder."""
    recipe = RECIPES[name]
    same = {other.start: method for method, other in RECIPES.items()
            if not other.multi and other.changes == recipe.changes}
    tag = "_".join(f"{key}{value}" for key, value in sorted(recipe.changes.items())) or "paper"
    return {kind: pathlib.Path(folder_of(same[kind])) if kind in same
            else pathlib.Path(run_dir) / "multi_start_attempts" / f"{kind}_{tag}" for kind in recipe.start}


def starts_of(name, generator, attacker_name, baselines_dir, templates, banks=None):
    """warm_starts.Starts of recipe `name` for `templates` ({name: template}), or None when it starts from the
    engine's own init (ours); for a multi-start recipe, {kind: that} for each of its starts. `banks`, a dict,
    keeps the loaded latent bank for later calls (a worker's next shard)."""
    check_method(name)
    start = "mean" if name == "ours" else RECIPES[name].start
    banks = {} if banks is None else banks   # a multi-start's bank starts share one load of the pair store
    pairs = None if name == "ours" else RECIPES[name].bank_pairs
    if isinstance(start, tuple):
        return {kind: warm_start_latents(kind, generator, attacker_name, baselines_dir, templates, banks, pairs)
                for kind in start}
    return warm_start_latents(start, generator, attacker_name, baselines_dir, templates, banks, pairs)


# The pairs of the bank every bank recipe without its own bank_pairs was measured with (experiments/fidelity).
MEASURED_BANK_PAIRS = 20000


def _warn_if_small(bank, measured, baselines_dir):
    if bank.pairs < measured:
        logging.warning("the latent bank in %s holds %d pairs, fewer than the %d this method was measured with: "
                        "its faces start from a sparser prior (grow it with `python -m tf_reconstruct.train_baselines "
                        "--pairs=%d --train=`)", pathlib.Path(baselines_dir) / "pairs", bank.pairs, measured, measured)


def warm_start_latents(start, generator, attacker_name, baselines_dir, templates, banks=None, bank_pairs=None):
    """warm_starts.Starts from the 'bank' or 'mapping' prior in `baselines_dir` (train_baselines' output), or
    None for 'mean'. `banks`, a dict, keeps a loaded bank or Mapping for the next call. A bank start refuses a bank
    whose build was interrupted (warm_starts.load_bank); it reads the store's first `bank_pairs` pairs (None:
    all), and warns when the store holds fewer than the method was measured with (each face's record names the
    bank's size)."""
    if start not in STARTS:
        raise ValueError(f"unknown warm start {start!r}; choose from {', '.join(STARTS)}")
    if start == "mean":
        return None
    names = list(templates)
    if not names:
        return warm_starts.Starts({}, {"kind": start})
    targets = np.stack([templates[name] for name in names])
    if start in ("bank", "bank_nearest"):
        banks = {} if banks is None else banks
        key = ("bank", bank_pairs)
        if key not in banks:
            banks[key] = warm_starts.load_bank(pathlib.Path(baselines_dir) / "pairs", attacker_name,
                                               generator.num_ws, limit=bank_pairs)
            _warn_if_small(banks[key], bank_pairs or MEASURED_BANK_PAIRS, baselines_dir)
        bank = banks[key]
        neighbours = warm_starts.DEFAULT_NEIGHBOURS if start == "bank" else 1
        how = {"kind": start, "neighbours": neighbours, "temperature": warm_starts.TEMPERATURE,
               "bank_size": len(bank.latents), "bank_pairs": bank.pairs,
               "bank": str(pathlib.Path(baselines_dir) / "pairs")}
        w_plus = warm_starts.as_w_plus(bank.start(targets, neighbours), generator.num_ws)
    else:
        from tf_reconstruct.baselines import template_to_latent
        banks = {} if banks is None else banks
        key = ("mapping", str(baselines_dir), attacker_name)
        if key not in banks:   # loading it again for each batch retraces its graph every time
            banks[key] = template_to_latent.load_mapping(baselines_dir, "w", attacker_name)
        model = banks[key]
        how = {"kind": "mapping", "mapping": str(baselines_dir)}
        w_plus = warm_starts.mapping_starts(model, targets)
    return warm_starts.Starts(dict(zip(names, w_plus)), how)
