"""Multi-start (beyond the paper): several starts per template, keeping the attempt the attacker likes best.

    run(generator, extractor, templates, out_dir, batch_size, settings, starts_by_kind) -> faces finished now

Each start kind ('mean', or a warm start of recipes.py given as {name: w+}) is its own resumable run in
<out_dir>/starts/<kind>/. A template is finished when every kind has finished it; the attempt with the
lowest best loss (the attacker's own objective: its template through the fixed warp, plus any penalty)
is copied to <out_dir> with its record naming the start chosen and the steps of all attempts, which is
what it cost. No judge takes part in the choice.
"""

import pathlib

from absl import logging

from tf_reconstruct.optimize import in_flight, runner


def choose(records):
    """The start kind whose record has the lowest best loss ({kind: record}); ties go to the first kind."""
    return min(records, key=lambda kind: records[kind]["best_loss"])


def run(generator, extractor, templates, out_dir, batch_size, settings, starts_by_kind,
        in_flight_name=in_flight.FILE_NAME, timing=True, progress=True, on_written=None, exact_resume=False):
    """Runs every start kind over `templates` [(name, template)] and copies each template's chosen attempt.

    starts_by_kind: {kind: {name: w+ [num_ws, 512]} or None for the engine's own start}, in order.
    in_flight_name, timing, progress, on_written(name), exact_resume: as runner.run (on_written sees the chosen copy).
    """
    out_dir = pathlib.Path(out_dir)
    runner.restore_faces(generator, out_dir, [name for name, _ in templates])
    pending = [(name, template) for name, template in templates if not runner.is_done(out_dir, name)]
    if not pending:
        return 0
    made = []
    with runner.timed(out_dir, made if timing else [], batch_size):
        folders = {}
        for kind, starts in starts_by_kind.items():
            folders[kind] = out_dir / "starts" / kind
            logging.info("multi-start: start %s", kind)
            runner.run(generator, extractor, pending, folders[kind], batch_size, settings, warm_starts=starts,
                       in_flight_name=in_flight_name, timing=timing, progress=progress, exact_resume=exact_resume)
        for name, _ in pending:
            records = {kind: runner.read_record(folder, name) for kind, folder in folders.items()}
            kind = choose(records)
            steps = sum(record["steps"] for record in records.values())
            runner.copy_outputs(folders[kind], out_dir, name, {
                "chosen_start": kind, "steps": steps, "steps_of_chosen": records[kind]["steps"],
                "best_loss_by_start": {other: record["best_loss"] for other, record in records.items()}})
            made.append(steps)
            if on_written:
                on_written(name)
    return len(made)
