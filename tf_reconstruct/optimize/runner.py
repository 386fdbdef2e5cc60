"""Resumable reconstruction of named templates into a folder: per template <name>.png (full resolution),
<name>_wplus.npy and, written last, <name>.json, which marks it done. Every file is written to a temporary
name and renamed, so an interrupted run leaves finished templates intact and a re-run skips them.

While it runs, the state of the faces still being optimised is saved every `checkpoint_every` evaluations
(optimize/in_flight.py), so an interrupted run goes on mid-face.

The face is a deterministic function of its w+, so the small record and w+ (47 KB) are what a run keeps in
git; a missing PNG is rendered again from the w+ (`restore_faces`), which lets a long run go on across
machines.
"""

import contextlib
import dataclasses
import json
import pathlib
import platform
import shutil
import time

import numpy as np
from absl import logging
from tqdm import tqdm

from tf_reconstruct import atomic_files
from tf_reconstruct.models import precision as precisions
from tf_reconstruct.optimize import in_flight, reconstruct as engine
from tf_reconstruct.optimize.progress import progress_bar
from tf_reconstruct.plots.image_grid import save_png


def write_outputs(out_dir, name, image, w_plus, record):
    """Writes the face, the w+ and, last, the record that marks the template done."""
    save_png(image, out_dir / f"{name}.png")
    with atomic_files.replacing(out_dir / f"{name}_wplus.npy") as temporary:
        np.save(temporary, w_plus)
    write_record(out_dir, name, record)


def write_record(out_dir, name, record):
    """Writes <name>.json, the record whose presence marks a template done."""
    atomic_files.write_text(pathlib.Path(out_dir) / f"{name}.json", json.dumps(record, indent=2))


def copy_outputs(from_dir, to_dir, name, record_changes):
    """Copies a finished template's face and w+ to another folder, then its record with `record_changes`."""
    from_dir, to_dir = pathlib.Path(from_dir), pathlib.Path(to_dir)
    for suffix in (".png", "_wplus.npy"):
        if (from_dir / f"{name}{suffix}").is_file():
            with atomic_files.replacing(to_dir / f"{name}{suffix}") as temporary:
                shutil.copyfile(from_dir / f"{name}{suffix}", temporary)
    write_record(to_dir, name, {**read_record(from_dir, name), **record_changes})


def is_done(out_dir, name):
    """A template is done when its record and its face or w+ are there (a record alone, as older runs kept in
    git, cannot give the face back, so that template is reconstructed again)."""
    out_dir = pathlib.Path(out_dir)
    return (out_dir / f"{name}.json").is_file() and any(
        (out_dir / f"{name}{suffix}").is_file() for suffix in (".png", "_wplus.npy"))


def read_record(out_dir, name):
    return json.loads((pathlib.Path(out_dir) / f"{name}.json").read_text())


def restore_faces(generator, out_dir, names):
    """Renders <name>.png from <name>_wplus.npy for every finished name whose PNG is missing; returns the count."""
    out_dir = pathlib.Path(out_dir)
    missing = [name for name in names if is_done(out_dir, name) and not (out_dir / f"{name}.png").is_file()]
    for name in tqdm(missing, desc="rendering kept w+", unit="face", disable=not missing):
        images, _ = engine.render(generator, np.load(out_dir / f"{name}_wplus.npy")[None])
        save_png(images[0], out_dir / f"{name}.png")
    return len(missing)


TIMING_FILE = "timing.json"


@contextlib.contextmanager
def timed(out_dir, made, batch_size):
    """Appends a finished run's wall time and the faces it finished (`made`, the steps each took in this run)
    to <out_dir>/timing.json, so methods run on one machine compare in seconds per step. An interrupted run
    is not recorded: part of its time went to faces it did not finish, whose steps it cannot count."""
    started = time.time()
    yield
    if made:
        path = pathlib.Path(out_dir) / TIMING_FILE
        chunks = json.loads(path.read_text()) if path.is_file() else []
        chunks.append({"faces": len(made), "steps": int(sum(made)), "seconds": round(time.time() - started, 1),
                       "batch_size": batch_size, "cpu": platform.processor() or platform.machine(),
                       "finished_at": time.strftime("%Y-%m-%d %H:%M:%S")})
        atomic_files.write_text(path, json.dumps(chunks, indent=1))


def seconds_per_step(out_dir):
    """Wall seconds per face-step (one face's evaluation, among a full batch of slots) over every timed run of
    a folder (NaN when none was timed). Times a face's cost as this times its steps, also for faces that an
    interrupted run (whose time is lost) had begun."""
    path = pathlib.Path(out_dir) / TIMING_FILE
    chunks = json.loads(path.read_text()) if path.is_file() else []
    steps = sum(chunk["steps"] for chunk in chunks)
    return sum(chunk["seconds"] for chunk in chunks) / steps if steps else float("nan")


# Evaluations between saves of the running faces: about 3 minutes of 8 faces on 2 AVX2 cores, and the save
# (under 1 MB) costs nothing beside a step.
CHECKPOINT_EVERY = 25


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """How a run shares its folder; the defaults are a run alone in it.

    checkpoint_every: evaluations between saves of the running faces (SGD; 0: never), to <out_dir>/<in_flight_name>.
    timing: append the run's wall time to timing.json; progress: show a bar; on_written(name) per face written.
    Runs sharing a folder at once (distributed/) each keep their own `in_flight_name`, leave `timing` to their
    driver (timing.json is rewritten whole) and turn the bar off.
    exact_resume: a re-run writes the bits an uninterrupted run would have (a face's float path depends on the
    shape of the batch it ran in): it rebuilds the batch of the last checkpoint and replays it, or, without
    one, runs all the templates again; faces already done are recomputed where needed, not rewritten.
    """
    checkpoint_every: int = CHECKPOINT_EVERY
    in_flight_name: str = in_flight.FILE_NAME
    timing: bool = True
    progress: bool = True
    on_written: object = None
    exact_resume: bool = False


def start_record(settings, starts):
    """How a face's optimisation started, for its record: the warm start's description, or the engine's init."""
    return dict(starts.how) if starts is not None else {"kind": settings.init}


def run(generator, extractor, templates, out_dir, settings, *, method="ours", starts=None, known_attempts=None,
        options=RunOptions()):
    """Reconstructs every (name, template [d]) not yet done, writing each as soon as it finishes.

    settings: EngineSettings; method: the name the records give (ours or a recipe); starts: a
    warm_starts.Starts holding the w+ [num_ws, 512] each name's optimisation starts from, or None for the
    engine's init; known_attempts: {name: already-run first attempt} (engine `known_attempts`);
    options: RunOptions. Each record names the method, the whole settings and the start actually used.
    Returns the number reconstructed in this run.
    """
    if settings.coarse_scale > 1:
        # One stage per run: coarse to fine is two (optimize/coarse_to_fine.py, through recipes.run).
        raise engine.SettingsError("coarse_scale runs in two stages: use recipes.run or coarse_to_fine.run")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    restore_faces(generator, out_dir, [name for name, _ in templates])
    by_name = dict(templates)
    pending = [name for name in by_name if not is_done(out_dir, name)]
    logging.info("%d templates, %d already done, %d to go", len(by_name), len(by_name) - len(pending), len(pending))
    in_flight_path = out_dir / options.in_flight_name
    if not pending:
        in_flight_path.unlink(missing_ok=True)
        return 0
    checkpointed = settings.optimizer == "sgd" and options.checkpoint_every > 0
    warm = None if starts is None else starts.latents
    context = {"run": {"generator": generator.name, "extractor": extractor.name, "settings": _in_flight_settings(
        settings)}, "templates": by_name, "starts": warm}
    names, resumed, layout = _plan(by_name, pending, in_flight_path, context, checkpointed, options.exact_resume)
    known = {name: attempt for name, attempt in (known_attempts or {}).items() if name in names}
    shared = {"method": method, "generator": generator.name, "extractor": extractor.name,
              "batch_size": settings.batch_size, "computed_in": precisions.resolve(settings.precision),
              "threads": intra_op_threads(), "settings": settings.to_record(), "start": start_record(settings, starts)}
    made = []
    with (progress_bar(len(pending), settings, disable=not options.progress) as bar,
          timed(out_dir, made if options.timing else [], settings.batch_size)):
        writer = _Writer(out_dir, names, shared, resumed, known, made, bar, options.on_written,
                         starts.per_face if starts is not None else None)

        def save(states, batch_layout):
            in_flight.save(in_flight_path, {names[index]: state for index, state in states.items()}, context,
                           _named_layout(batch_layout, names))

        engine.reconstruct_stream(
            generator, extractor, np.stack([by_name[name] for name in names]), settings,
            starts=None if warm is None else np.stack([warm[name] for name in names]), on_done=writer.write,
            known_attempts={names.index(name): attempt for name, attempt in known.items()},
            resume=engine.Resume({names.index(name): state for name, state in resumed.items()},
                                 None if layout is None else _indexed_layout(layout, names)),
            checkpoints=engine.Checkpoints(options.checkpoint_every, save) if checkpointed else None,
            on_step=bar.step)
    in_flight_path.unlink(missing_ok=True)
    return len(pending)


def _plan(by_name, pending, in_flight_path, context, checkpointed, exact_resume):
    """(names to run, in order; {name: in-flight state} to go on from; the checkpoint's layout or None)."""
    resumed = in_flight.load(in_flight_path, context) if checkpointed else {}
    names, layout = pending, None
    if exact_resume:
        names, layout = _exact_plan(by_name, pending, resumed, in_flight.layout_of(in_flight_path) if resumed else None)
        if layout is None:
            resumed = {}        # a face restored into another batch would not come out the same bits
    resumed = {name: state for name, state in resumed.items() if name in names}
    if resumed:
        logging.info("going on mid-face with %d faces: %s", len(resumed), ", ".join(
            f"{name} at step {int(state['steps_taken'])}" for name, state in sorted(resumed.items())))
    return names, resumed, layout


def _named_layout(layout, names):
    """A batch layout of template indices as one of names (for the checkpoint file)."""
    return {"size": layout["size"], "owner": [names[index] if index >= 0 else "" for index in layout["owner"]],
            "pending": [names[index] for index in layout["pending"]]}


def _indexed_layout(layout, names):
    """A checkpoint's layout of names as one of indices into `names` (for the engine)."""
    return {"size": layout["size"], "owner": [names.index(name) if name else -1 for name in layout["owner"]],
            "pending": [names.index(name) for name in layout["pending"]]}


class _Writer:
    """Writes each finished face with its record (the `shared` fields and its own), once."""

    def __init__(self, out_dir, names, shared, resumed, known, made, bar, on_written, per_face_start=None):
        self.out_dir, self.names, self.shared, self.resumed, self.known = out_dir, names, shared, resumed, known
        self.made, self.bar, self.on_written = made, bar, on_written
        self.per_face_start = per_face_start or {}
        self.started = time.time()

    def write(self, sample):
        name = self.names[sample.index]
        if is_done(self.out_dir, name):
            return          # replayed for an exact resume: written before the interruption
        record = {"template": name, "best_loss": sample.loss, "steps": sample.steps, "restarts": sample.restarts,
                  "stopped_by": sample.stopped_by,
                  "final_cosine": sample.final_cosine, "seconds_since_start": round(time.time() - self.started, 2),
                  **self.shared}
        if name in self.per_face_start:
            record["start"] = {**record["start"], **self.per_face_start[name]}
        if name in self.resumed:
            record["resumed_from_evaluation"] = len(self.resumed[name]["curve"])
        if name in self.known:
            record["first_attempt_reused"] = True
        write_outputs(self.out_dir, name, sample.image, sample.w_plus, record)
        # Only the steps computed in this run: a face resumed mid-way did the rest in an earlier one.
        self.made.append(sample.steps - (len(self.resumed[name]["curve"]) if name in self.resumed else 0))
        self.bar.face_done(sample.steps)
        if self.on_written:
            self.on_written(name)


def _in_flight_settings(settings):
    """The settings an in-flight checkpoint must match to be resumed: every one but how many run together (an
    exact resume rebuilds the checkpoint's batch; a plain one may go on in another)."""
    return {key: value for key, value in settings.to_record().items() if key not in ("batch_size", "compiled")}


def intra_op_threads():
    """TensorFlow's intra-op threads in this process (its default, 0, is one per core): a face's last float
    bits depend on it, so a record names it."""
    import os
    import tensorflow as tf
    return tf.config.threading.get_intra_op_parallelism_threads() or len(os.sched_getaffinity(0))


def _exact_plan(by_name, pending, resumed, layout):
    """(names to run, in order, and the checkpoint's layout or None) for an exact resume: the checkpoint's
    batch when it accounts for every face not done, else every template from the start."""
    if layout is not None:
        slotted = [name for name in layout["owner"] if name]
        listed = slotted + list(layout["pending"])
        if (all(name in by_name for name in listed) and all(name in resumed for name in slotted)
                and set(pending) <= set(listed) and not set(layout["pending"]) - set(pending)):
            return listed, layout
        logging.warning("the checkpoint's batch does not match the faces left: they run again from the start")
    if len(pending) == len(by_name):
        return pending, None
    return list(by_name), None
