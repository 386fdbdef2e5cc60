"""`python -m tf_reconstruct.bench`: speed of the reconstruction step, each mode as a ratio to the naive one.

Modes, each adding one thing to the one before (the issue's i-v):
  i    eager, float32, full 1024 px, batch 1 (the naive baseline)
  ii   the step compiled as a tf.function
  iii  ii with the loss image rendered at --bench_resolution (the generator stops early)
  iv   iii computing in bfloat16
  v    iv at batch 8 and at batch 16
and, for the record, ii with XLA (jit_compile), the engine options beyond the paper at the default
loss resolution, float32 and batch 8, each against the same step without them (opt-*), and the step of each
method of --bench_methods (method-*; one per stage of a coarse-to-fine method). Every mode runs
the real engine (optimize/reconstruct.py) on random templates for a fixed number of steps with stopping
disabled; the first step (tracing) is timed apart. FLOPs per step are counted by the TensorFlow profiler
on the traced forward+backward graph.
Every mode's s / face-step is also given as a ratio to the paper's step (opt-none) of the same sitting, and
with --bench_steps_from (a finished run) each method's s / face: its stages' s / face-step times the mean steps
its faces took in each stage there.
Writes a Markdown table to experiments/bench/README.md and prints it.
"""

import dataclasses
import datetime
import os
import platform
import time

import numpy as np
import tensorflow as tf
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.evaluation import methods as methods_module
from tf_reconstruct.models import precision, registry
from tf_reconstruct.optimize import coarse_to_fine, recipes, runner
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.optimize.settings import EngineSettings

# The engine settings that change what one step computes; the others stop, start or restart faces.
STEP_FIELDS = ("augment", "augment_views", "spread_penalty", "anchor_penalty", "optimizer", "schedule")

FLAGS = flags.FLAGS


@dataclasses.dataclass
class Mode:
    label: str
    description: str
    batch: int
    resolution: int
    precision: str = "float32"
    compiled: bool = True
    jit_compile: bool = False
    options: dict = dataclasses.field(default_factory=dict)   # engine options beyond the paper
    method: tuple = None   # (method, stage) whose step this is: stage 'coarse', 'fine' or 'all'


@dataclasses.dataclass
class Measurement:
    mode: Mode
    seconds_per_step: float
    first_step_seconds: float
    flops_per_step: float

    @property
    def seconds_per_face_step(self):
        return self.seconds_per_step / self.mode.batch


def modes(resolution, with_xla):
    full = 1024
    listed = [
        Mode("i", "eager, fp32, 1024 px, batch 1", 1, full, compiled=False),
        Mode("ii", "tf.function, fp32, 1024 px, batch 1", 1, full),
        Mode("iii", f"ii + loss at {resolution} px", 1, resolution),
        Mode("iv", "iii + bf16", 1, resolution, "bfloat16"),
        Mode("v-8", "iv at batch 8", 8, resolution, "bfloat16"),
        Mode("v-16", "iv at batch 16", 16, resolution, "bfloat16"),
    ]
    if with_xla:
        listed.append(Mode("xla", "ii + jit_compile (XLA)", 1, full, jit_compile=True))
    listed += [Mode("opt-none", f"fp32, {resolution} px, batch 8: the paper's step", 8, resolution),
               Mode("opt-eot4", "opt-none + EOT, 4 views", 8, resolution,
                    options={"augment": 1.0, "augment_views": 4}),
               Mode("opt-spread", "opt-none + row-spread penalty", 8, resolution, options={"spread_penalty": 1.0}),
               # The fidelity screen's combination (ours_plus' step) and its Adam variant (experiments/fidelity).
               Mode("opt-eot4-spread", "opt-none + EOT, 4 views + row-spread penalty", 8, resolution,
                    options={"augment": 1.0, "augment_views": 4, "spread_penalty": 1.0}),
               Mode("opt-eot4-spread-adam", "opt-eot4-spread with Adam and the projector schedule", 8, resolution,
                    options={"augment": 1.0, "augment_views": 4, "spread_penalty": 1.0, "optimizer": "adam",
                             "schedule": "projector"})]
    return listed


def method_modes(names, resolution):
    """A mode per step of each named method (recipes.py) at batch 8, float32 and loss resolution `resolution`:
    a coarse-to-fine method has two, its coarse and its fine stage's."""
    base = EngineSettings(resolution=resolution)
    listed = []
    for name in names:
        settings = recipes.settings_of(name, base)
        stages = (zip(("coarse", "fine"), coarse_to_fine.stages(settings)) if settings.coarse_scale > 1
                  else [("all", settings)])
        for stage, stage_settings in stages:
            options = {field: getattr(stage_settings, field) for field in STEP_FIELDS
                       if getattr(stage_settings, field) != getattr(base, field)}
            label = f"method-{name}" + ("" if stage == "all" else f"-{stage}")
            what = f"{name}'s step" + ("" if stage == "all" else f" ({stage} stage)")
            listed.append(Mode(label, f"{what}, {stage_settings.resolution} px", 8, stage_settings.resolution,
                               options=options, method=(name, stage)))
    return listed


def stage_steps(run_dir, method):
    """{stage: mean steps a face of `method` took in it} over the finished faces of a run folder: 'coarse' and
    'fine' for a coarse-to-fine method, 'all' otherwise. A ValueError names a folder without finished faces."""
    folder = methods_module.output_dir(run_dir, method)
    records = [runner.read_record(folder, path.stem) for path in sorted(folder.glob("*.json"))
               if runner.is_done(folder, path.stem)]
    records = [record for record in records if "steps" in record]   # a face's record, not a run's state
    if not records:
        raise ValueError(f"{folder} holds no finished faces of {method}: run it there, or leave out "
                         f"--bench_steps_from")
    if "fine_steps" not in records[0]:
        return {"all": float(np.mean([record["steps"] for record in records]))}
    fine = [record["fine_steps"] for record in records]
    return {"fine": float(np.mean(fine)),
            "coarse": float(np.mean([record["steps"] - steps for record, steps in zip(records, fine)]))}


def method_seconds(measurements, steps_of):
    """{method: (s / face, mean steps)}: each stage's measured s / face-step times the method's mean steps in it
    (`steps_of`: {method: stage_steps(...)}), for the methods whose every stage was measured."""
    per_step = {item.mode.method: item.seconds_per_face_step for item in measurements if item.mode.method}
    found = {}
    for method, stages in steps_of.items():
        if all((method, stage) in per_step for stage in stages):
            found[method] = (sum(per_step[(method, stage)] * steps for stage, steps in stages.items()),
                             sum(stages.values()))
    return found


def step_flops(generator, extractor, mode):
    """Floating-point operations of one forward+backward step, counted on the traced graph."""
    w_plus = tf.TensorSpec([mode.batch, generator.num_ws, 512], tf.float32)
    targets = tf.TensorSpec([mode.batch, extractor.embedding_dim], tf.float32)

    @tf.function
    def loss_and_gradient(latent, target):
        with tf.GradientTape() as tape:
            tape.watch(latent)
            embeddings = engine.embed_generated(generator, extractor, latent, mode.resolution, mode.precision)
            loss = tf.reduce_sum(tf.square(embeddings - target))
        return tape.gradient(loss, latent)

    graph = loss_and_gradient.get_concrete_function(w_plus, targets).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


def measure(generator, extractor, mode, steps, seed=0):
    targets = np.random.default_rng(seed).standard_normal((mode.batch, extractor.embedding_dim)).astype(np.float32)
    result = engine.reconstruct(generator, extractor, targets, steps=steps, patience=steps + 1,
                                resolution=mode.resolution, precision=mode.precision, render_final=False,
                                compiled=mode.compiled, jit_compile=mode.jit_compile, log_every=0, **mode.options)
    per_step = (result.seconds - result.first_step_seconds) / (steps - 1)
    # The profiler counts the paper's step; an option's extra work shows in its time, not here.
    flops = float("nan") if mode.options else step_flops(generator, extractor, mode)
    return Measurement(mode, per_step, result.first_step_seconds, flops)


def _ratio_to_paper(item, measurements):
    paper = [other.seconds_per_face_step for other in measurements if other.mode.label == "opt-none"]
    return f"{item.seconds_per_face_step / paper[0]:.2f}" if paper else ""


def method_sentence(measurements, steps_of, steps_from):
    """Each method's s / face in this sitting (method_seconds), and as a ratio to the first method's."""
    found = method_seconds(measurements, steps_of)
    if not found:
        return ""
    reference, (reference_seconds, _) = next(iter(found.items()))
    return (f"\nMethods, s / face in this sitting at the mean steps their faces took in {steps_from}: " + "; ".join(
        f"{method} {seconds:.1f} s ({steps:.1f} steps, {reference_seconds / seconds:.1f}x faster than {reference})"
        if method != reference else f"{method} {seconds:.1f} s ({steps:.1f} steps)"
        for method, (seconds, steps) in found.items()) + ".\n")


def markdown(measurements, steps, mean_steps):
    baseline = measurements[0].seconds_per_face_step
    heading = (f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
               f"{platform.processor() or platform.machine()} ({precision.cpu_kind()}), {os.cpu_count()} logical "
               f"CPUs, TensorFlow {tf.__version__}; {steps} timed steps per mode after one tracing step; generator "
               f"MobileStyleGAN, extractor MobileFaceNet-192.\n\n")
    rows = [{"mode": item.mode.label, "what": item.mode.description, "batch": str(item.mode.batch),
             "s / step": f"{item.seconds_per_step:.3f}", "s / face-step": f"{item.seconds_per_face_step:.3f}",
             "speed-up per face vs i": f"{baseline / item.seconds_per_face_step:.1f}x",
             "GFLOP / step": f"{item.flops_per_step / 1e9:.1f}",
             "GFLOP/s": f"{item.flops_per_step / 1e9 / item.seconds_per_step:.0f}",
             "ratio to opt-none": _ratio_to_paper(item, measurements),
             "first step (s)": f"{item.first_step_seconds:.1f}",
             f"s / face at {mean_steps} steps": f"{item.seconds_per_face_step * mean_steps:.1f}"}
            for item in measurements]
    return heading + report_files.markdown_table(rows) + option_ratios(measurements)


def option_ratios(measurements):
    """A sentence giving each engine option's s / face-step as a ratio to the paper's step (opt-none) measured
    in the same sitting, which is what transfers between machines; empty without opt-none."""
    options = {item.mode.label: item.seconds_per_face_step for item in measurements
               if item.mode.label.startswith("opt-")}
    if "opt-none" not in options:
        return ""
    return "\nEngine options, s / face-step as a ratio to opt-none's in this sitting: " + ", ".join(
        f"{label} {seconds / options['opt-none']:.2f}x" for label, seconds in options.items()
        if label != "opt-none") + ".\n"


def main(argv):
    del argv
    project_flags.apply_threads()
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    extractor = registry.get_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    measurements, failures = [], []
    methods = [name for name in FLAGS.bench_methods if name]
    steps_of = ({name: stage_steps(FLAGS.bench_steps_from, name) for name in methods}
                if FLAGS.bench_steps_from else {})   # read first: a bad folder fails before the timing
    for mode in modes(FLAGS.bench_resolution, FLAGS.bench_xla) + method_modes(methods, FLAGS.bench_resolution):
        started = time.time()
        try:
            measurements.append(measure(generator, extractor, mode, FLAGS.bench_steps))
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as error:
            first_line = str(error).strip().splitlines()[0][:200]
            failures.append(f"- mode {mode.label} ({mode.description}) could not run: `{first_line}`")
            logging.warning("mode %s failed: %s", mode.label, first_line)
            continue
        logging.info("mode %s (%s): %.3f s/step, %.3f s/face-step (%.0f s)", mode.label, mode.description,
                     measurements[-1].seconds_per_step, measurements[-1].seconds_per_face_step, time.time() - started)
    table = markdown(measurements, FLAGS.bench_steps, FLAGS.bench_mean_steps)
    table += method_sentence(measurements, steps_of, FLAGS.bench_steps_from)
    if failures:
        table += "\n" + "\n".join(failures) + "\n"
    print(table)
    report_files.write_text(FLAGS.bench_out, table)
    logging.info("Wrote %s", FLAGS.bench_out)


if __name__ == "__main__":
    project_flags.define_bench_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    app.run(cli.clean_errors(main))
