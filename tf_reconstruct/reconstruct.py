"""`python -m tf_reconstruct.reconstruct --templates=feats.npy --extractor=mobilefacenet192 --out_dir=out`

Template in, face out; `--method` picks the paper's engine (ours, the default) or a method beyond it
(optimize/recipes.py). Per template it writes <name>.png (the full-resolution face), <name>_wplus.npy
and <name>.json (loss, steps, seconds, cosine of the final face to the template, settings). A re-run
skips templates whose .json exists; every file is written to a temporary name and renamed.
"""

import pathlib

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags, interrupts
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.optimize import multi_start, recipes, runner

FLAGS = flags.FLAGS


def load_templates(path, embedding_dim):
    """Reads templates from a .npy ([d] or [N, d]) or a folder of them: -> [(name, [d] float32)].

    Every file is validated before any work starts, so a bad input stops the run before anything is written.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise engine.TemplateError(f"--templates={path} does not exist: give a .npy file or a folder of .npy files")
    # Hidden files are not templates (.partial.* is what an interrupted write of ours leaves).
    files = sorted(file for file in path.glob("*.npy") if not file.name.startswith(".")) if path.is_dir() else [path]
    if not files:
        raise engine.TemplateError(f"--templates={path} holds no .npy files")
    templates = []
    for file in files:
        try:
            array = np.load(file, allow_pickle=False)
        except (ValueError, OSError) as error:
            raise engine.TemplateError(f"{file} is not a readable .npy array ({error})") from error
        checked = engine.check_templates(array, embedding_dim, name=str(file))
        if array.ndim == 1:
            templates.append((file.stem, checked[0]))
        else:
            templates.extend((f"{file.stem}_{index:04d}", row) for index, row in enumerate(checked))
    names = [name for name, _ in templates]
    if len(set(names)) != len(names):
        raise engine.TemplateError(f"--templates={path}: template names collide; rename the files")
    return templates


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    project_flags.apply_threads()
    extractor = registry.get_attack_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    templates = load_templates(FLAGS.templates, extractor.embedding_dim)
    settings = recipes.settings_of(FLAGS.method, project_flags.engine_settings())
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    starts = recipes.starts_of(FLAGS.method, generator, extractor.name,
                               baselines_dir(FLAGS.baselines_dir, extractor.name, FLAGS.checkpoint_dir), dict(templates))
    if FLAGS.method != "ours" and recipes.RECIPES[FLAGS.method].multi:
        count = multi_start.run(generator, extractor, templates, FLAGS.out_dir, FLAGS.batch_size, settings, starts)
    else:
        count = runner.run(generator, extractor, templates, FLAGS.out_dir, FLAGS.batch_size, settings,
                           warm_starts=starts)
    logging.info("Reconstructed %d templates into %s", count, FLAGS.out_dir)


if __name__ == "__main__":
    project_flags.define_reconstruct_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    app.run(cli.clean_errors(main))
