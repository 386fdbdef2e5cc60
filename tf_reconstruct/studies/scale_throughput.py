"""`python -m tf_reconstruct.studies.scale_throughput`: the database run on Ray against the local one, and a
fault drill, on the same LFW templates in one sitting (issue 22's experiments/scale).

1. Templates: the first photo of the first --scale_faces LFW identities (sorted names), MTCNN-aligned and
   embedded by the attacking MobileFaceNet-192: a small real database, kept out of git (work/).
2. Each backend runs `python -m tf_reconstruct.reconstruct` on them as a user would, from a fresh process,
   into its own folder: local (one stream, today's path), local with --shard_size (Ray's shards in turn),
   Ray with 1 worker, Ray with 2 workers. Wall time includes starting Python, Ray and the models.
3. The fault drill: Ray, 2 workers, worker 0 killed after --scale_drill_after faces.
4. Every sharded folder is compared bit for bit with the sharded local one, and the drilled run with the
   undisturbed Ray run.

Speed is reported as ratios to the local run measured in the same sitting; the machine should be otherwise
idle. Steps are capped (--steps) so the sitting fits a session: faces per hour here are per capped face,
and what transfers to a full run is the ratio. Resumable: a finished configuration's time is kept in
work/timings.json and not measured again.
"""

import json
import pathlib
import subprocess
import sys
import time

import numpy as np
from absl import app, flags

from tf_reconstruct import atomic_files, cli, flags as project_flags
from tf_reconstruct.datasets import base, lfw
from tf_reconstruct.evaluation import aligned_faces, report_files
from tf_reconstruct.models import registry

FLAGS = flags.FLAGS


def configurations(shard_size):
    """(label, extra reconstruct flags) in the order they run."""
    return [("local", ["--backend=local"]),
            ("local, sharded", ["--backend=local", f"--shard_size={shard_size}"]),
            ("ray, 1 worker", ["--backend=ray", "--workers=1", f"--shard_size={shard_size}"]),
            ("ray, 2 workers", ["--backend=ray", "--workers=2", f"--shard_size={shard_size}"]),
            ("ray, 2 workers, worker 0 killed", ["--backend=ray", "--workers=2", f"--shard_size={shard_size}",
                                                 f"--fault_drill_after={FLAGS.scale_drill_after}"])]


def folder_name(label):
    return label.replace(", ", "_").replace(" ", "_")


def make_templates(path):
    """The first photo of each of the first --scale_faces LFW identities, embedded by MobileFaceNet-192."""
    if path.is_file():
        return
    dataset = lfw.load_lfw(FLAGS.data_dir)
    identities = sorted(dataset.images_by_identity)[:FLAGS.scale_faces * 2]   # spares for photos MTCNN misses
    first = base.FaceDataset("lfw", {name: dataset.images_by_identity[name][:1] for name in identities},
                             dataset.read)
    faces, _ = aligned_faces.align_images(base.iterate(first, identities), path.parent / "aligned.npz")
    ids = sorted(faces)[:FLAGS.scale_faces]
    embeddings = aligned_faces.embed_faces(registry.get_extractor("mobilefacenet192"), {i: faces[i] for i in ids})
    with atomic_files.replacing(path) as temporary:
        np.save(temporary, np.stack([embeddings[i] for i in ids]).astype(np.float32))


# What a record keeps about how its run went, not about the face: the clock and a mid-face resume.
BOOKKEEPING = ("seconds_since_start", "resumed_from_evaluation")


def identical(a, b, name):
    """The face, the w+ and the record (but for its bookkeeping) are the same bits in folders a and b."""
    def record(folder):
        kept = json.loads((folder / f"{name}.json").read_text())
        return {key: value for key, value in kept.items() if key not in BOOKKEEPING}
    return ((a / f"{name}.png").read_bytes() == (b / f"{name}.png").read_bytes()
            and (a / f"{name}_wplus.npy").read_bytes() == (b / f"{name}_wplus.npy").read_bytes()
            and record(a) == record(b))


def names_in(folder):
    return sorted(path.stem for path in folder.glob("*.json") if path.name not in ("run_summary.json", "timing.json"))


def schedule_seconds(steps, batch_size, compact, step_seconds):
    """Wall seconds of the engine's slot schedule for faces needing `steps` (in queue order): free slots are
    refilled in order; with `compact`, once none waits and the live faces fill at most half the batch, the
    batch shrinks to the next power of two at or above them (optimize/slots.py). step_seconds(b): one step
    of a batch of b. A model of the engine's scheduling, for runs too long to time both ways."""
    queue, live = list(steps), []
    size = min(batch_size, len(queue)) if compact else batch_size
    seconds = 0.0
    while queue or live:
        while queue and len(live) < size:
            live.append(queue.pop(0))
        if compact and not queue and len(live) <= size // 2:
            size = 1 << (len(live) - 1).bit_length()
        seconds += step_seconds(size)
        live = [left - 1 for left in live if left > 1]
    return seconds


def tail_cost(steps, shard_size, batch_size, step_seconds, seed=0, compact=True):
    """Seconds of the same faces run as shards of `shard_size` (each its own stream, as a worker runs it) over
    one stream of them all, for faces of these step counts in a random order: each shard ends in a tail
    where its last faces run in a shrunken batch (`compact`) or wait in the full one."""
    order = np.random.default_rng(seed).permutation(len(steps))
    ordered = [int(steps[index]) for index in order]
    stream = schedule_seconds(ordered, batch_size, True, step_seconds)
    sharded = sum(schedule_seconds(ordered[start:start + shard_size], batch_size, compact, step_seconds)
                  for start in range(0, len(ordered), shard_size))
    return sharded / stream


# One step of a batch of b faces, fitted to experiments/bench (modes iv and v-8: 0.195 s at batch 1, 1.209 s
# at batch 8, 512 px): a fixed part and a part per face.
PER_FACE_SECONDS = (1.209 - 0.195) / 7
FIXED_SECONDS = 0.195 - PER_FACE_SECONDS


def write_tail_model(records_dir, out_stem, batch_size=8, shard_sizes=(8, 16, 32, 64, 128)):
    """The modelled cost of sharding for the step counts of a finished run (its <name>.json records)."""
    steps = [json.loads(path.read_text())["steps"] for path in sorted(pathlib.Path(records_dir).glob("*.json"))
             if path.name not in ("timing.json", "run_summary.json")]
    cost = lambda size: FIXED_SECONDS + PER_FACE_SECONDS * size   # noqa: E731

    def ratios(size, compact):
        return " / ".join(f"{tail_cost(steps, size, batch_size, cost, seed, compact):.3f}" for seed in range(3))
    rows = [{"shard size": size, "time vs one stream, 3 orders (what runs: the batch shrinks)": ratios(size, True),
             "if the batch kept its shape": ratios(size, False)} for size in shard_sizes]
    report_files.write_table(out_stem, rows, heading=(
        f"Modelled: the engine's slot schedule for the {len(steps)} step counts of {records_dir} (mean "
        f"{np.mean(steps):.0f}, max {max(steps)}), batch {batch_size}, a step costing {FIXED_SECONDS:.3f} + "
        f"{PER_FACE_SECONDS:.3f} s per face in it (experiments/bench)"))
    return rows


def main(argv):
    del argv
    work = pathlib.Path(FLAGS.scale_out) / "work"
    work.mkdir(parents=True, exist_ok=True)
    templates = work / f"lfw_first{FLAGS.scale_faces}.npy"
    make_templates(templates)
    timings_file = work / "timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.is_file() else {}
    engine = [f"--steps={FLAGS.steps}", f"--patience={FLAGS.patience}", f"--resolution={FLAGS.resolution}",
              f"--batch_size={FLAGS.batch_size}"]
    for label, extra in configurations(FLAGS.scale_shard_size):
        if label in timings:
            continue
        out_dir = work / folder_name(label)
        command = [sys.executable, "-m", "tf_reconstruct.reconstruct", f"--templates={templates}",
                   f"--out_dir={out_dir}"] + engine + extra
        print("running:", " ".join(command[1:]), flush=True)
        started = time.time()
        subprocess.run(command, check=True)
        summary_file = out_dir / "run_summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
        timings[label] = {"wall_seconds": round(time.time() - started, 1), "faces": len(names_in(out_dir)),
                          "engine_seconds": summary.get("seconds"), "events": summary.get("events", []),
                          "failures": summary.get("failures", [])}
        atomic_files.write_text(timings_file, json.dumps(timings, indent=1))
    write_report(work, timings)
    if FLAGS.scale_steps_from:
        print(report_files.markdown_table(write_tail_model(FLAGS.scale_steps_from,
                                                           pathlib.Path(FLAGS.scale_out) / "tail_model")))


def write_report(work, timings):
    base_label, sharded = "local", work / folder_name("local, sharded")
    reference = timings[base_label]["wall_seconds"]
    undisturbed = work / folder_name("ray, 2 workers")
    rows = []
    for label, _ in configurations(FLAGS.scale_shard_size):
        timing, folder = timings[label], work / folder_name(label)
        names = names_in(folder)
        against = undisturbed if "killed" in label else sharded
        same = sum(identical(folder, against, name) for name in names)
        resumed = sum("resumed_from_evaluation" in json.loads((folder / f"{name}.json").read_text()) for name in names)
        compared = "ray, 2 workers" if "killed" in label else "local, sharded"
        rows.append({"backend": label, "faces": len(names), "wall s": timing["wall_seconds"],
                     "faces / h": round(len(names) / timing["wall_seconds"] * 3600, 1),
                     "time vs local": round(timing["wall_seconds"] / reference, 3),
                     "bit-identical to": (f"{same}/{len(names)} of {compared}" if label != "local, sharded"
                                          else "(the reference)"),
                     "faces resumed mid-face": resumed, "failures": len(timing["failures"]),
                     "events": "; ".join(timing["events"])})
    report_files.write_table(pathlib.Path(FLAGS.scale_out) / "throughput", rows,
                             heading=f"{len(names)} LFW templates, steps capped at {FLAGS.steps}, loss image "
                                     f"{FLAGS.resolution} px, batch {FLAGS.batch_size}, shards of "
                                     f"{FLAGS.scale_shard_size}; wall time of the command from a fresh process")
    print(report_files.markdown_table(rows))


if __name__ == "__main__":
    project_flags.define_scale_flags()
    app.run(cli.clean_errors(main))
