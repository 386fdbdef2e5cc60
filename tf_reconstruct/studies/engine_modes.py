"""`python -m tf_reconstruct.studies.engine_modes`: the engine's modes on the same real LFW templates.

Every mode reconstructs the same templates (source photos of seeded LFW identities, MobileFaceNet-192)
under the paper's stopping rule, and is scored the same way: the best w+ rendered at 1024 px in float32,
aligned by the fixed warp and embedded in float32, cosine to the template. Per-mode rows go to
experiments/engine/modes/<mode>.csv (a finished mode is not re-run), the summary to
experiments/engine/modes.md, and the SGD/Adam loss curves to experiments/engine/loss_curves.png.
"""

import csv
import pathlib
import time

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import atomic_files, cli
from tf_reconstruct import flags as project_flags
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.optimize.settings import EngineSettings
from tf_reconstruct.plots.loss_curves import save_loss_curves
from tf_reconstruct.studies.lfw_templates import lfw_source_templates

FLAGS = flags.FLAGS

# The float32 reference costs about 4 times the default per face, so it runs on the first 8 templates,
# and every mode is also summarised on those.
REFERENCE_TEMPLATES = 8
PAPER = dict(optimizer="sgd", learning_rate=0.1, loss="mse", truncation=1.0, resolution=1024, precision="float32")
MODES = {
    # The loss scale decides whether SGD at 0.1 moves at all. Normalised features creep down by ~1e-6 a
    # step, which never trips the patience rule, so this mode is capped at 300 steps.
    "sgd_mse_normalized_256_bf16": dict(PAPER, loss="mse_normalized", resolution=256, precision="bfloat16",
                                        steps=300),
    "sgd_mse_256_bf16": dict(PAPER, resolution=256, precision="bfloat16"),
    "sgd_mse_trunc0.7_256_bf16": dict(PAPER, truncation=0.7, resolution=256, precision="bfloat16"),
    "sgd_mse_trunc0.7_512_bf16": dict(PAPER, truncation=0.7, resolution=512, precision="bfloat16"),
    "sgd_mse_trunc0.7_512_fp32": dict(PAPER, truncation=0.7, resolution=512),
    # Adam runs in groups (its state is shared), so a group costs its slowest sample: one group of 8.
    "adam_projector_mse_trunc0.7_256_bf16": dict(PAPER, optimizer="adam", schedule="projector", truncation=0.7,
                                                 resolution=256, precision="bfloat16", templates=8),
    "sgd_mse_trunc0.5_256_bf16": dict(PAPER, truncation=0.5, resolution=256, precision="bfloat16"),
    # The quality reference: float32, full resolution, batch 1.
    "reference_sgd_mse_trunc0.7_1024_fp32_batch1": dict(PAPER, truncation=0.7, templates=REFERENCE_TEMPLATES,
                                                        batch_size=1),
}


def run_mode(name, settings, generator, extractor, sources, templates, out_dir, batch_size, steps):
    path = out_dir / "modes" / f"{name}.csv"
    if path.is_file():
        logging.info("mode %s: done before, reusing %s", name, path)
        return
    settings = dict(settings)
    count = settings.pop("templates", len(templates))
    settings = EngineSettings(**{"steps": steps, "batch_size": batch_size, **settings})
    sources, templates = sources[:count], templates[:count]
    started = time.time()
    samples, seconds, first = engine.reconstruct_stream(generator, extractor, templates, settings, log_every=100)
    rows = [{"mode": name, "template": source, "final_cosine": round(sample.final_cosine, 4),
             "steps": sample.steps, "best_loss": round(sample.loss, 5)} for source, sample in zip(sources, samples)]
    for row in rows:
        row["mode_seconds_per_face"] = round(seconds / len(rows), 2)
    with atomic_files.replacing(out_dir / "cache" / f"{name}_curves.npy") as temporary:
        np.save(temporary, np.array([s.loss_curve for s in samples], dtype=object), allow_pickle=True)
    report_files.write_csv(path, rows)   # last: its presence marks the mode done
    logging.info("mode %s: mean cosine %.3f, mean steps %.0f, %.1f s/face (%.0f s in all, first step %.1f s)", name,
                 np.mean([r["final_cosine"] for r in rows]), np.mean([r["steps"] for r in rows]), seconds / len(rows),
                 time.time() - started, first)


def summary(out_dir, settings_by_mode):
    """The Markdown table of every finished mode."""
    table = []
    for name, settings in settings_by_mode.items():
        path = out_dir / "modes" / f"{name}.csv"
        if not path.is_file():
            continue
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        cosine = np.array([float(r["final_cosine"]) for r in rows])
        steps = np.array([int(r["steps"]) for r in rows])
        table.append({
            "mode": name, "optimizer": settings["optimizer"], "loss": settings["loss"],
            "truncation": str(settings["truncation"]), "loss resolution": str(settings["resolution"]),
            "precision": settings["precision"], "templates": str(len(rows)),
            "mean final cosine": f"{cosine.mean():.3f}", "min": f"{cosine.min():.3f}",
            "mean steps": f"{steps.mean():.0f}", "max steps (cap)": f"{steps.max()} ({settings.get('steps', 2000)})",
            "s / face": f"{float(rows[0]['mode_seconds_per_face']):.1f}",
            f"mean cosine on the reference's {REFERENCE_TEMPLATES}": f"{cosine[:REFERENCE_TEMPLATES].mean():.3f}"})
    return report_files.markdown_table(table)


def main(argv):
    del argv
    out_dir = pathlib.Path(FLAGS.study_out)
    (out_dir / "cache").mkdir(parents=True, exist_ok=True)
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    extractor = registry.get_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    template_file = out_dir / "cache" / f"templates_{FLAGS.study_templates}_{FLAGS.seed}.npz"
    if not template_file.is_file():
        sources, _, templates = lfw_source_templates(FLAGS.data_dir, FLAGS.study_templates, FLAGS.seed, extractor)
        np.savez(template_file, sources=np.array(sources), templates=templates)
    with np.load(template_file) as cached:
        sources, templates = list(cached["sources"]), cached["templates"]
    chosen = FLAGS.study_modes or list(MODES)
    for name in chosen:
        run_mode(name, MODES[name], generator, extractor, sources, templates, out_dir, FLAGS.batch_size, FLAGS.steps)
    table = summary(out_dir, MODES)
    heading = (f"{len(sources)} LFW templates (MobileFaceNet-192 of the source photos of seed-{FLAGS.seed} identities), "
               f"patience {FLAGS.patience}, cap {FLAGS.steps}, {FLAGS.batch_size} slots; final cosine: best w+ "
               f"rendered at 1024 px in float32, fixed warp, float32 extractor.\n\n")
    report_files.write_text(out_dir / "modes.md", heading + table)
    print(table)
    curves = {}
    for label, name in (("SGD 0.1", FLAGS.study_sgd_mode), ("Adam 0.1, projector schedule", FLAGS.study_adam_mode)):
        path = out_dir / "cache" / f"{name}_curves.npy"
        if path.is_file():
            curves[label] = list(np.load(path, allow_pickle=True))
    if curves:
        save_loss_curves(out_dir / "loss_curves.png", curves, "Loss per step on the same LFW templates (loss image 256 px)")


if __name__ == "__main__":
    project_flags.define_study_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    app.run(cli.clean_errors(main))
