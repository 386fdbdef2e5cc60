"""`python -m tf_reconstruct.train_inpainting [--variant=full|no_region_norm|global_style] [--inpaint_size=256]`

  1. renders and parses --train_faces generated faces (inpainting/training_data.py), resumable by shard;
  2. trains the patent's network on them with seeded holes (inpainting/trainer.py), resumable by checkpoint.
Weights go to checkpoints/inpainting/<variant>_<size>/ (never committed); the same command goes on after an
interruption. `python -m tf_reconstruct.inpaint --method=patent` then uses them.
"""

from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags, interrupts
from tf_reconstruct.inpainting import parsing, trainer, training_data
from tf_reconstruct.inpainting.paths import data_dir, network_dir
from tf_reconstruct.models import registry

FLAGS = flags.FLAGS


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    store = data_dir(FLAGS.data_dir, FLAGS.checkpoint_dir)
    training_data.build_store(generator, parsing.Parser.load(FLAGS.checkpoint_dir), store, FLAGS.train_faces)
    data = training_data.load_store(store, FLAGS.train_faces)
    settings = trainer.TrainSettings(size=FLAGS.inpaint_size, width=FLAGS.inpaint_width, batch_size=FLAGS.train_batch,
                                     steps=FLAGS.train_steps, variant=FLAGS.variant,
                                     checkpoint_every=FLAGS.checkpoint_every)
    features = trainer.FaceFeatures(registry.get_attack_extractor("mobilefacenet192", None, FLAGS.checkpoint_dir),
                                    generator.landmarks)
    out = network_dir(FLAGS.out_dir, FLAGS.variant, FLAGS.inpaint_size, FLAGS.checkpoint_dir)
    summary = trainer.train(data, out, settings, features)
    logging.info("trained %s: %d steps (%d this run, %.0f s)", out, summary["steps"], summary["steps_this_run"],
                 summary["seconds_this_run"])


if __name__ == "__main__":
    project_flags.define_inpainting_training_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
