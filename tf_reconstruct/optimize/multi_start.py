"""Multi-start (beyond the paper): several starts per template, combined into one face.

    run(generator, extractor, templates, out_dir, settings, starts_by_kind, combine=...) -> faces made now

Each start kind ('mean', or a warm start of recipes.py given as a warm_starts.Starts) is its own resumable run, in
<out_dir>/starts/<kind>/ unless `attempt_dirs` puts it elsewhere (a run folder shares one attempt among
the recipes that combine it differently). A template is finished when every kind has finished it, and
then one of COMBINES makes its face:
  'best'     the attempt with the lowest best loss (the attacker's own objective: its template through
             the fixed warp, plus any penalty) is copied to <out_dir>;
  'average'  the mean of the attempts' w+ is rendered (averaging late iterates, as ALSUV does, here across
             the starts' final latents: what the starts agree on is kept, each one's model-specific detail
             is diluted).
The record names the starts and the steps of all attempts, which is what the face cost. No judge takes
part in either.
"""

import dataclasses
import pathlib

import numpy as np
from absl import logging

from tf_reconstruct.optimize import reconstruct as engine, runner

COMBINES = ("best", "average")


def choose(records):
    """The start kind whose record has the lowest best loss ({kind: record}); ties go to the first kind."""
    return min(records, key=lambda kind: records[kind]["best_loss"])


def average(w_pluses):
    """The mean of K attempts' w+: [K, num_ws, 512] -> [num_ws, 512]."""
    return np.mean(np.asarray(w_pluses, np.float32), axis=0)


def run(generator, extractor, templates, out_dir, settings, starts_by_kind, method="multi_start", combine="best",
        attempt_dirs=None, options=runner.RunOptions()):
    """Runs every start kind over `templates` [(name, template)] and combines each template's attempts.

    settings: EngineSettings; starts_by_kind: {kind: warm_starts.Starts or None for the engine's own start}, in
    order; method: the name the records give; combine: one of COMBINES; attempt_dirs: {kind: folder} of the
    attempts (default <out_dir>/starts/<kind>); options: runner.RunOptions (on_written sees the combined face).
    """
    if combine not in COMBINES:
        raise ValueError(f"combine={combine!r}; choose one of {', '.join(COMBINES)}")
    out_dir = pathlib.Path(out_dir)
    runner.restore_faces(generator, out_dir, [name for name, _ in templates])
    pending = [(name, template) for name, template in templates if not runner.is_done(out_dir, name)]
    if not pending:
        return 0
    folders = {kind: pathlib.Path((attempt_dirs or {}).get(kind, out_dir / "starts" / kind))
               for kind in starts_by_kind}
    kinds = {kind: runner.start_record(settings, starts) for kind, starts in starts_by_kind.items()}
    made = []
    with runner.timed(out_dir, made if options.timing else [], settings.batch_size):
        for kind, starts in starts_by_kind.items():
            logging.info("multi-start: start %s", kind)
            runner.run(generator, extractor, pending, folders[kind], settings, method=f"{method}/{kind}",
                       starts=starts, options=dataclasses.replace(options, on_written=None))
        for name, template in pending:
            records = {kind: runner.read_record(folder, name) for kind, folder in folders.items()}
            steps = sum(record["steps"] for record in records.values())
            shared = {"method": method, "steps": steps,
                      "steps_by_start": {kind: record["steps"] for kind, record in records.items()},
                      "best_loss_by_start": {kind: record["best_loss"] for kind, record in records.items()}}
            if combine == "best":
                kind = choose(records)
                runner.copy_outputs(folders[kind], out_dir, name, {
                    **shared, "chosen_start": kind, "steps_of_chosen": records[kind]["steps"],
                    "start": {"kind": "multi", "chosen": kind, "kinds": kinds}})
            else:
                _write_average(generator, extractor, folders, out_dir, name, template, {
                    **shared, "template": name, "combined": "average", "starts": list(folders),
                    "cosine_by_start": {kind: record.get("final_cosine") for kind, record in records.items()},
                    "generator": generator.name, "extractor": extractor.name, "settings": settings.to_record(),
                    "start": {"kind": "multi", "kinds": kinds}})
            made.append(steps)
            if options.on_written:
                options.on_written(name)
    return len(made)


def _write_average(generator, extractor, folders, out_dir, name, template, record):
    """Renders the mean of the attempts' w+ and writes it with its cosine to the template (fixed warp)."""
    w_plus = average([np.load(folder / f"{name}_wplus.npy") for folder in folders.values()])
    images, float_images = engine.render(generator, w_plus[None])
    cosine = engine.rendered_cosine(generator, extractor, float_images, template)
    # No optimiser loss belongs to the average; its fixed-warp cosine is what the attacker can check.
    runner.write_outputs(out_dir, name, images[0], w_plus, {**record, "best_loss": None, "final_cosine": cosine})
