"""`python -m tf_reconstruct.train_boundaries`: InterfaceGAN's boundaries in the generator's W space.

  1. `--num_samples` generated faces labelled by every attribute classifier (editing/samples.py), in
     resumable shards under checkpoints/editing/<generator>/samples/;
  2. per attribute, a linear SVM on the extremes (editing/boundaries.py) -> checkpoints/boundaries/<generator>/
     <attribute>.npy and .json (accuracies, slope, the samples' settings and models' sha256);
  3. the accuracy table -> experiments/editing/boundaries.md and .csv.
The same command resumes an interrupted run.
"""

import time

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags, interrupts
from tf_reconstruct.attributes import classifiers as attribute_classifiers
from tf_reconstruct.editing import boundaries, paths, samples
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.models import registry

FLAGS = flags.FLAGS


def fit_all(store, attributes, fraction, seed):
    """{attribute: Boundary} fitted on the labelled store's found samples."""
    found = store["found"]
    fitted = {}
    for attribute in attributes:
        if attribute not in store:
            raise InputError(f"the labelled samples have no {attribute!r}; they hold "
                             f"{', '.join(a for a in attribute_classifiers.ATTRIBUTES if a in store)}")
        fitted[attribute] = boundaries.train_boundary(store["w"][found], store[attribute][found], fraction, seed)
    return fitted


def report_rows(fitted, store):
    rows = []
    for attribute, boundary in fitted.items():
        values = store[attribute][store["found"]]
        low, high = np.percentile(values, [100 * boundary.report["fraction"], 100 - 100 * boundary.report["fraction"]])
        rows.append({"attribute": attribute, "samples": boundary.report["samples"],
                     "per side": boundary.report["per_side"], "score range (low / high ends)": f"{low:.3g} / {high:.3g}",
                     "validation accuracy on the extremes %": 100 * boundary.report["validation_accuracy"],
                     "accuracy on the remaining samples %": 100 * boundary.report.get("remaining_accuracy", np.nan),
                     "score per unit along the normal": boundary.report["slope"]})
    return rows


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    started = time.time()
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    loaded = [attribute_classifiers.load(name, FLAGS.checkpoint_dir) for name in attribute_classifiers.CLASSIFIERS]
    settings = samples.SampleSettings(generator=generator.name, shard_size=FLAGS.shard_size, seed=FLAGS.sample_seed)
    hashes = samples.model_hashes(generator.name, list(attribute_classifiers.CLASSIFIERS), FLAGS.generator_weights)
    store_dir = paths.samples_dir(FLAGS.samples_dir, generator.name, FLAGS.checkpoint_dir)
    try:
        worker = tuple(int(part) for part in FLAGS.label_worker.split("/"))
        assert len(worker) == 2 and 0 <= worker[0] < worker[1]
    except (ValueError, AssertionError):
        raise app.UsageError(f"--label_worker={FLAGS.label_worker}: give i/n with 0 <= i < n, e.g. 0/2") from None
    count = samples.build_store(generator, loaded, store_dir, FLAGS.num_samples, settings, hashes, worker)
    logging.info("%d labelled samples in %s (%.0f s this run)", count, store_dir, time.time() - started)
    if FLAGS.label_only:
        return
    store = samples.load_store(store_dir)
    fitted = fit_all(store, FLAGS.boundary_attributes, FLAGS.boundary_fraction, FLAGS.sample_seed)
    out = paths.boundaries_dir(FLAGS.boundaries_dir, generator.name, FLAGS.checkpoint_dir)
    provenance = {"samples_dir": str(store_dir), "samples_settings": store["settings"],
                  "command": "python -m tf_reconstruct.train_boundaries"}
    for attribute, boundary in fitted.items():
        boundaries.save(boundary, out, attribute, provenance)
    rows = report_rows(fitted, store)
    heading = (f"InterfaceGAN boundaries in the W space of {generator.name}: linear SVMs on the top and bottom "
               f"{100 * FLAGS.boundary_fraction:g}% of {int(store['found'].sum())} generated faces (of "
               f"{len(store['found'])} drawn; MTCNN found no face in the rest) by each classifier's score, split "
               f"70/30. InterfaceGAN reports 95-100% on the extremes. `python -m tf_reconstruct.train_boundaries`.")
    report_files.write_table(f"{FLAGS.report_out}/boundaries", rows, heading)
    for row in rows:
        logging.info("%s", row)


if __name__ == "__main__":
    project_flags.define_boundary_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
