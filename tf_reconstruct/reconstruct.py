"""`python -m tf_reconstruct.reconstruct --templates=feats.npy --extractor=mobilefacenet192 --out_dir=out`

Template in, face out. Per template it writes <name>.png (the full-resolution face), <name>_wplus.npy
and <name>.json (loss, steps, seconds, cosine of the final face to the template, settings). A re-run
skips templates whose .json exists; every file is written to a temporary name and renamed.
"""

import json
import os
import pathlib
import time

import numpy as np
from absl import app, flags, logging
from tqdm import tqdm

from tf_reconstruct import flags as project_flags
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import reconstruct as engine
from tf_reconstruct.plots.image_grid import save_png

FLAGS = flags.FLAGS


def load_templates(path, embedding_dim):
    """Reads templates from a .npy ([d] or [N, d]) or a folder of them: -> [(name, [d] float32)].

    Every file is validated before any work starts, so a bad input stops the run before anything is written.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise engine.TemplateError(f"--templates={path} does not exist: give a .npy file or a folder of .npy files")
    files = sorted(path.glob("*.npy")) if path.is_dir() else [path]
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


def _atomic_write(path, write):
    temporary = path.with_name(path.stem + ".partial" + path.suffix)
    write(temporary)
    os.replace(temporary, path)


def write_outputs(out_dir, name, image, w_plus, record):
    """Writes the face, the w+ and, last, the record that marks the template done."""
    save_png(image, out_dir / f"{name}.png")
    _atomic_write(out_dir / f"{name}_wplus.npy", lambda path: np.save(path, w_plus))
    _atomic_write(out_dir / f"{name}.json", lambda path: path.write_text(json.dumps(record, indent=2)))


def settings_from_flags():
    return {"steps": FLAGS.steps, "patience": FLAGS.patience, "learning_rate": FLAGS.learning_rate,
            "optimizer": FLAGS.optimizer, "schedule": FLAGS.schedule, "space": FLAGS.space, "init": FLAGS.init,
            "loss": FLAGS.loss, "resolution": FLAGS.resolution, "seed": FLAGS.seed, "truncation": FLAGS.truncation,
            "precision": FLAGS.precision}


def run(generator, extractor, templates, out_dir, batch_size, settings):
    """Reconstructs every template not yet done, writing each as soon as it finishes.

    Returns the number reconstructed in this run.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pending = [(name, template) for name, template in templates if not (out_dir / f"{name}.json").is_file()]
    logging.info("%d templates, %d already done, %d to go", len(templates), len(templates) - len(pending),
                 len(pending))
    if not pending:
        return 0
    started = time.time()
    with tqdm(total=len(pending), desc="reconstructing", unit="face") as progress:
        def write(sample):
            name = pending[sample.index][0]
            record = {"template": name, "best_loss": sample.loss, "steps": sample.steps,
                      "final_cosine": sample.final_cosine, "seconds_since_start": round(time.time() - started, 2),
                      "batch_size": batch_size, "generator": generator.name, "extractor": extractor.name,
                      **settings}
            write_outputs(out_dir, name, sample.image, sample.w_plus, record)
            progress.update(1)

        engine.reconstruct_stream(generator, extractor, np.stack([template for _, template in pending]),
                                  batch_size=batch_size, on_done=write, **settings)
    return len(pending)


def main(argv):
    del argv
    import tensorflow as tf
    if FLAGS.threads:
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    extractor = registry.get_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    templates = load_templates(FLAGS.templates, extractor.embedding_dim)
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    count = run(generator, extractor, templates, FLAGS.out_dir, FLAGS.batch_size, settings_from_flags())
    logging.info("Reconstructed %d templates into %s", count, FLAGS.out_dir)


if __name__ == "__main__":
    project_flags.define_reconstruct_flags()
    app.run(main)
