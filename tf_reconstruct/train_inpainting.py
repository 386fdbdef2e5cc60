"""`python -m tf_reconstruct.train_inpainting [--variant=full|no_region_norm|global_style] [--style=rebalanced]`

  1. renders and parses --train_faces generated faces (inpainting/training_data.py), resumable by shard;
  2. frames and parses --real_faces LFW photos and --validation_faces more, all of identities outside the
     inpainting test set, training and validation identities disjoint (inpainting/real_faces.py);
  3. trains the patent's network on both kinds with seeded holes and colour, light and mirror jitter
     (inpainting/trainer.py), resumable by checkpoint, until the validation hole L1 stops falling for
     --patience validations (or --train_steps).
Weights go to checkpoints/inpainting/<variant>_<size>[_<style>]/ (never committed); the run's training curve
goes to --report_dir for git. The same command goes on after an interruption, and
`python -m tf_reconstruct.inpaint --method=patent` then uses the weights.
"""

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags, interrupts
from tf_reconstruct.datasets import lfw
from tf_reconstruct.inpainting import parsing, real_faces, trainer, training_data
from tf_reconstruct.inpainting.paths import data_dir, network_dir, real_dir
from tf_reconstruct.models import registry
from tf_reconstruct.inpainting.training_report import write_training_report

FLAGS = flags.FLAGS


def training_faces(generator, parser):
    """(training data {"image", "labels", "real"}, validation data or None), every store built or resumed."""
    store = data_dir(FLAGS.data_dir, FLAGS.checkpoint_dir)
    training_data.build_store(generator, parser, store, FLAGS.train_faces)
    data = training_data.load_store(store, FLAGS.train_faces)
    data["real"] = np.zeros(len(data["image"]), bool)
    if not FLAGS.real_faces and not FLAGS.validation_faces:
        return data, None
    dataset = lfw.load_lfw(FLAGS.lfw_dir)
    excluded = real_faces.test_identities(dataset.images_by_identity, FLAGS.inpaint_test_faces, FLAGS.seed)
    photos, held = real_faces.split_photos(dataset.images_by_identity, excluded, FLAGS.real_faces,
                                           FLAGS.validation_faces, FLAGS.seed)
    validation = None
    if held:
        real_faces.build_real_store(dataset, held, generator, parser, real_dir("validation", FLAGS.checkpoint_dir))
        validation = training_data.load_store(real_dir("validation", FLAGS.checkpoint_dir))
    if photos:
        real_faces.build_real_store(dataset, photos, generator, parser, real_dir("training", FLAGS.checkpoint_dir))
        real = training_data.load_store(real_dir("training", FLAGS.checkpoint_dir))
        data = {"image": np.concatenate([data["image"], real["image"]]),
                "labels": np.concatenate([data["labels"], real["labels"]]),
                "real": np.concatenate([data["real"], np.ones(len(real["image"]), bool)])}
    return data, validation


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    data, validation = training_faces(generator, parsing.Parser.load(FLAGS.checkpoint_dir))
    settings = trainer.TrainSettings(size=FLAGS.inpaint_size, width=FLAGS.inpaint_width, batch_size=FLAGS.train_batch,
                                     steps=FLAGS.train_steps, variant=FLAGS.variant,
                                     checkpoint_every=FLAGS.checkpoint_every,
                                     style_weight=trainer.STYLE_WEIGHTS[FLAGS.style], real_fraction=FLAGS.real_fraction,
                                     augment=FLAGS.augment, patience=FLAGS.patience)
    features = trainer.FaceFeatures(registry.get_attack_extractor("mobilefacenet192", None, FLAGS.checkpoint_dir),
                                    generator.landmarks)
    out = network_dir(FLAGS.out_dir, FLAGS.variant, FLAGS.inpaint_size, FLAGS.checkpoint_dir, FLAGS.style)
    held = None if validation is None else trainer.validation_set(validation, FLAGS.inpaint_size)
    summary = trainer.train(data, out, settings, features, held)
    write_training_report(out, FLAGS.report_dir, None if held is None else trainer.telea_l1(held))
    logging.info("trained %s: %d steps (%d this run, %.0f s); best validation hole L1 %s at step %s%s", out,
                 summary["steps"], summary["steps_this_run"], summary["seconds_this_run"],
                 summary["best_validation_hole_l1"], summary["best_step"],
                 ", stopped early" if summary["stopped_early"] else "")


if __name__ == "__main__":
    project_flags.define_inpainting_training_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
