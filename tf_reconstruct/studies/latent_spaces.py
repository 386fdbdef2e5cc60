"""`python -m tf_reconstruct.studies.latent_spaces`: the paper's Figs. 2 and 3 on real LFW templates.

For a few seeded LFW identities, the source photo's template is reconstructed optimising Z, W or W+
(Fig. 2, mean initialisation) and W+ from the mean or from a uniform random start (Fig. 3). Writes
experiments/engine/latent_spaces.png (rows: identities; columns: photo, then each variant, titled with
the final cosine) and latent_spaces.csv. Finished variants are cached and reused.
"""

import pathlib

import cv2
import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.plots.figure_file import plt, save_figure
from tf_reconstruct.studies.lfw_templates import lfw_source_templates

FLAGS = flags.FLAGS
VARIANTS = {"Z (mean)": dict(space="z", init="mean"), "W (mean)": dict(space="w", init="mean"),
            "W+ (mean)": dict(space="wplus", init="mean"), "W+ (uniform)": dict(space="wplus", init="uniform")}


def main(argv):
    del argv
    out_dir = pathlib.Path(FLAGS.study_out)
    cache = out_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    extractor = registry.get_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    sources, photos, templates = lfw_source_templates(FLAGS.data_dir, FLAGS.study_templates, FLAGS.seed, extractor)
    settings = project_flags.engine_settings()
    faces, rows = {}, []
    for name, variant in VARIANTS.items():
        path = cache / f"latent_{variant['space']}_{variant['init']}_{FLAGS.study_templates}_{FLAGS.seed}.npz"
        if not path.is_file():
            logging.info("variant %s", name)
            samples, seconds, _ = engine.reconstruct_stream(generator, extractor, templates,
                                                            settings.replace(**variant))
            np.savez(path, images=np.stack([cv2.resize(s.image, (256, 256), interpolation=cv2.INTER_AREA)
                                            for s in samples]),
                     cosine=[s.final_cosine for s in samples], steps=[s.steps for s in samples], seconds=seconds)
        with np.load(path) as saved:
            faces[name] = (saved["images"], saved["cosine"], saved["steps"])
        rows += [{"variant": name, "template": source, "final_cosine": round(float(c), 4), "steps": int(s)}
                 for source, c, s in zip(sources, faces[name][1], faces[name][2])]
    figure, axes = plt.subplots(len(sources), len(VARIANTS) + 1, figsize=(2.2 * (len(VARIANTS) + 1),
                                                                          2.4 * len(sources)))
    axes = np.atleast_2d(axes)
    for row, source in enumerate(sources):
        axes[row, 0].imshow(photos[row])
        axes[row, 0].set_title(source.rsplit("_", 1)[0].replace("_", " "), fontsize=7)
        for column, name in enumerate(VARIANTS, start=1):
            images, cosine, steps = faces[name]
            axes[row, column].imshow(images[row])
            axes[row, column].set_title(f"{name}\ncos {cosine[row]:.2f}, {steps[row]} steps", fontsize=7)
    for axis in axes.ravel():
        axis.axis("off")
    figure.tight_layout()
    save_figure(figure, out_dir / "latent_spaces.png", dpi=100)
    report_files.write_csv(out_dir / "latent_spaces.csv", rows)
    print(report_files.markdown_table(rows))


if __name__ == "__main__":
    project_flags.define_study_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    flags.FLAGS.set_default("study_templates", 4)
    app.run(cli.clean_errors(main))
