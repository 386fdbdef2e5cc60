"""Coarse to fine: a face optimised with its loss image at a low resolution for its first steps, then at the
settings' resolution from where it got to (issue 35's render-resolution lever: the generator's last block is
most of a step's time, and the extractor reads a 112-px crop). The coarse stage's success stop may hold longer
(coarse_success_steps).

    stages(settings) -> (coarse EngineSettings, fine EngineSettings)
    run(generator, extractor, templates, out_dir, settings, *, method, starts, options) -> faces made

The coarse stage is a run of its own into <out_dir>/coarse/ (resumable, with its records): the settings at
resolution / `coarse_scale`, capped at `coarse_steps` (or `steps` - 2), from the method's start. The fine
stage starts from each coarse face's w+ as it is and runs into out_dir at `resolution`, capped at the steps
left; its record's start names the coarse stage and the face's coarse steps, and its `steps` counts both.
"""

import dataclasses
import pathlib

import numpy as np

from tf_reconstruct.optimize import runner, warm_starts

COARSE_FOLDER = "coarse"


def face_seconds(folder, record):
    """A finished face's cost from its record: its steps at its folder's measured seconds per step, a
    coarse-to-fine face's two stages each at their own (NaN when the folder was never timed)."""
    fine = record.get("fine_steps", record["steps"])
    seconds = runner.seconds_per_step(folder) * fine
    if "fine_steps" in record:
        seconds += runner.seconds_per_step(pathlib.Path(folder) / COARSE_FOLDER) * (record["steps"] - fine)
    return seconds


def stages(settings):
    """(coarse, fine) EngineSettings of coarse-to-fine `settings`, each a one-stage engine."""
    single = settings.replace(coarse_scale=1, coarse_steps=0, coarse_success_steps=0)
    # The coarse cap leaves the fine stage 2 steps at least, so a recipe's cap holds under any --steps.
    cap = min(settings.coarse_steps, settings.steps - 2)
    # A longer hold is cheapest in the coarse stage, where a step costs half as much (experiments/speed).
    hold = settings.coarse_success_steps or settings.success_steps
    coarse = single.replace(resolution=(settings.resolution or 1024) // settings.coarse_scale, steps=cap,
                            success_steps=hold)
    fine = single.replace(steps=settings.steps - cap)
    return coarse, fine


def run(generator, extractor, templates, out_dir, settings, *, method="ours", starts=None,
        options=runner.RunOptions()):
    """Both stages for every (name, template) not yet done in `out_dir`; returns the faces made (fine stage)."""
    out_dir = pathlib.Path(out_dir)
    coarse_dir = out_dir / COARSE_FOLDER
    coarse, fine = stages(settings)
    names = [name for name, _ in templates]
    _record_both_stages(out_dir, coarse_dir, names, settings)     # faces an interrupted run left uncounted
    pending = [(name, template) for name, template in templates if not runner.is_done(out_dir, name)]
    if not pending:
        return 0
    # A face is written once, by the fine stage: the caller's on_written must not count its coarse stage too.
    runner.run(generator, extractor, pending, coarse_dir, coarse, method=f"{method}/coarse", starts=starts,
               options=dataclasses.replace(options, on_written=None))
    records = {name: runner.read_record(coarse_dir, name) for name, _ in pending}
    how = {"kind": "coarse", "resolution": coarse.resolution, "cap": coarse.steps, "from": str(coarse_dir),
           "coarse_start": runner.start_record(coarse, starts)}
    fine_starts = warm_starts.Starts(
        {name: np.load(coarse_dir / f"{name}_wplus.npy") for name, _ in pending}, how,
        {name: {"coarse_steps": records[name]["steps"], "coarse_stopped_by": records[name].get("stopped_by")}
         for name, _ in pending})
    made = runner.run(generator, extractor, pending, out_dir, fine, method=method, starts=fine_starts,
                      options=options)
    _record_both_stages(out_dir, coarse_dir, names, settings)
    return made


def _record_both_stages(out_dir, coarse_dir, names, settings):
    """Makes each finished fine record describe the whole face: `steps` counts both stages and `settings` is the
    coarse-to-fine settings (the fine stage's own are kept as `fine_settings`, its steps as `fine_steps`)."""
    for name in names:
        if not (runner.is_done(out_dir, name) and runner.is_done(coarse_dir, name)):
            continue
        record = runner.read_record(out_dir, name)
        if "fine_steps" in record:
            continue
        coarse_steps = runner.read_record(coarse_dir, name)["steps"]
        runner.write_record(out_dir, name, {**record, "steps": record["steps"] + coarse_steps,
                                            "fine_steps": record["steps"], "fine_settings": record["settings"],
                                            "settings": settings.to_record()})
