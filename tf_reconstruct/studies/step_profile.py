"""`python -m tf_reconstruct.studies.step_profile`: where one engine step's time goes (issue 35, "profile first").

Runs a method's engine (ours_plus by default) on a batch of random templates, traces `--profile_steps` steps
after `--profile_warmup` untraced ones (so tracing and the first-step compile are not counted) with
TensorFlow's profiler, and sums every op's time by component:

    component_of(op name) -> (component, direction)   e.g. ("generator 512 px", "backward")

The generator's blocks are named by the side they output (block k outputs 16 * 2^k px); "warp" is the fixed
and EOT views' ImageProjectiveTransform; the extractor is the attacked model; "optimizer" the SGD update;
"other" the loss, penalties and gradient sums. Python and executor overhead is the wall time of the traced
steps less the ops' time. Writes experiments/speed/profile.md and .csv.
"""

import collections
import glob
import os
import pathlib
import re
import tempfile
import time

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import reconstruct as engine, recipes

FLAGS = flags.FLAGS
# Events that wrap other ops' events (counting them would count the ops twice).
WRAPPERS = ("ExecutorState::Process", "ParallelFor")
_BLOCK = re.compile(r"layers_(\d+)")


def component_of(op_name, extractor_name):
    """(component, 'forward' or 'backward') of a traced op `op_name` ('scope/.../op:kernel')."""
    scope = op_name.split(":")[0]
    direction = "forward"
    if scope.startswith("gradient_tape/"):
        scope, direction = scope[len("gradient_tape/"):], "backward"
    head = scope.split("/")[0]
    if head.startswith("mobile_synthesis") or head.startswith("synthesis"):
        block = _BLOCK.search(scope)
        return (f"generator {16 * 2 ** int(block.group(1))} px" if block else "generator, other"), direction
    if head == extractor_name:
        return "extractor", direction
    if head == "transform" or "ImageProjectiveTransform" in op_name:
        return "warp", direction
    if "ApplyGradientDescent" in op_name or "AssignSub" in op_name or head.startswith("SGD"):
        return "optimizer", direction
    return "other", direction


def op_seconds(xplane_file, wrappers=WRAPPERS):
    """({op name: seconds} summed over the TensorFlow compute threads of a profiler trace (.xplane.pb), and the
    seconds when at least one op ran: ops on two threads overlap, so their sum can exceed the wall time)."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2
    space = xplane_pb2.XSpace()
    space.ParseFromString(pathlib.Path(xplane_file).read_bytes())
    totals, intervals = collections.Counter(), []
    for plane in space.planes:
        names = {key: value.name for key, value in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = names[event.metadata_id]
                if name not in wrappers:
                    totals[name] += event.duration_ps / 1e12
                    start = line.timestamp_ns * 1000 + event.offset_ps
                    intervals.append((start, start + event.duration_ps))
    return totals, busy_seconds(intervals)


def busy_seconds(intervals):
    """Seconds covered by the union of (start, end) intervals in picoseconds."""
    covered, reach = 0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            covered += end - start
            reach = end
        elif end > reach:
            covered += end - reach
            reach = end
    return covered / 1e12


def by_component(totals, extractor_name):
    """{(component, direction): seconds} from op_seconds' totals."""
    grouped = collections.Counter()
    for name, seconds in totals.items():
        grouped[component_of(name, extractor_name)] += seconds
    return grouped


def profile(generator, extractor, settings, templates, warmup, steps):
    """(op_seconds' totals and busy seconds of `steps` traced engine steps after `warmup` untraced ones, and
    their wall seconds)."""
    import tensorflow as tf
    folder = tempfile.mkdtemp(prefix="step_profile_")
    clock = {}

    def on_step(live):
        clock["steps"] = clock.get("steps", 0) + 1
        if clock["steps"] == warmup:
            tf.profiler.experimental.start(folder)
            clock["started"] = time.time()
        elif clock["steps"] == warmup + steps:
            clock["wall"] = time.time() - clock["started"]
            tf.profiler.experimental.stop()

    engine.reconstruct_stream(generator, extractor, templates, settings.replace(steps=warmup + steps + 1),
                              on_step=on_step, render_final=False, log_every=0)
    trace = sorted(glob.glob(f"{folder}/plugins/profile/*/*.xplane.pb"))[-1]
    totals, busy = op_seconds(trace)
    return totals, busy, clock["wall"]


def table(grouped, busy, wall, steps, batch):
    """Rows: each component's seconds per step (forward, backward, both) and share of all op time; then the
    ops' busy time, the overhead outside any op (wall less busy) and the wall time, per step."""
    def order(name):
        size = re.match(r"generator (\d+) px", name)
        return (not name.startswith("generator"), -int(size.group(1)) if size else 0, name)
    components = sorted({component for component, _ in grouped}, key=order)
    total = sum(grouped.values())
    rows = []
    for component in components:
        forward, backward = grouped.get((component, "forward"), 0.0), grouped.get((component, "backward"), 0.0)
        rows.append({"component": component, "forward s / step": forward / steps,
                     "backward s / step": backward / steps, "s / step": (forward + backward) / steps,
                     "% of op time": 100 * (forward + backward) / total})
    for label, seconds in ((f"ops, summed over threads ({total / busy:.2f} x overlap)", total),
                           ("ops running (busy time)", busy), ("Python and executor overhead (wall less busy)",
                                                               max(wall - busy, 0.0)),
                           (f"wall, {batch} faces a step", wall)):
        rows.append({"component": label, "forward s / step": "", "backward s / step": "", "s / step": seconds / steps,
                     "% of op time": ""})
    return rows


def main(argv):
    del argv
    project_flags.apply_threads()
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    extractor = registry.get_attack_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    # Restarts and the face check act between faces, not within a step: off, so no face stops early.
    settings = recipes.settings_of(FLAGS.profile_method, project_flags.engine_settings()).replace(
        restarts=0, face_check=False, patience=10_000)
    templates = np.random.default_rng(FLAGS.seed).standard_normal(
        (settings.batch_size, extractor.embedding_dim)).astype(np.float32)
    logging.info("profiling %s: %d traced steps after %d", FLAGS.profile_method, FLAGS.profile_steps,
                 FLAGS.profile_warmup)
    totals, busy, wall = profile(generator, extractor, settings, templates, FLAGS.profile_warmup, FLAGS.profile_steps)
    rows = table(by_component(totals, extractor.name), busy, wall, FLAGS.profile_steps, settings.batch_size)
    out = pathlib.Path(FLAGS.profile_out)
    report_files.write_table(out / "profile", rows, (
        f"Where one step of {FLAGS.profile_method} goes: {settings.batch_size} faces a step, {settings.resolution}-px "
        f"loss image, {settings.augment_views} EOT views, {settings.precision}, {FLAGS.profile_steps} steps traced "
        f"by TensorFlow's profiler after {FLAGS.profile_warmup} untraced; op times summed over TensorFlow's "
        f"compute threads ({os.cpu_count()} CPUs here). "
        f"`python -m tf_reconstruct.studies.step_profile --profile_method={FLAGS.profile_method}`."))
    print(report_files.markdown_table(rows))


if __name__ == "__main__":
    project_flags.define_profile_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
