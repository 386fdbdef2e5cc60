"""`python -m tf_reconstruct.train_baselines`: the training behind the paper's Table 3 comparison methods.

  1. generated (z, w, template, face) pairs (baselines/training_pairs.py), `--pairs` of them;
  2. the Mapping of Dong et al., template -> w, and its w+ variant (baselines/template_to_latent.py);
  3. NbNet of Mai et al., template -> 160x160 face (baselines/nbnet.py).
Every stage resumes: finished shards and epochs are kept, and the same command continues.
The trained baselines are then used by `python -m tf_reconstruct.main --methods=ours,mapping,...`.
"""

import time

from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.baselines import nbnet, template_to_latent, training_pairs
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.models import registry

FLAGS = flags.FLAGS


def main(argv):
    del argv
    project_flags.apply_threads()
    directory = baselines_dir(FLAGS.baselines_dir, FLAGS.attack_model, FLAGS.checkpoint_dir)
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    extractor = registry.get_attack_extractor(FLAGS.attack_model, None, FLAGS.checkpoint_dir)
    settings = training_pairs.PairSettings(extractor=extractor.name, shard_size=FLAGS.shard_size,
                                           seed=FLAGS.pair_seed)
    started = time.time()
    count = training_pairs.build_store(generator, extractor, directory / "pairs", FLAGS.pairs, settings,
                                       FLAGS.pair_batch_size)
    logging.info("%d pairs ready (%.0f s this run)", count, time.time() - started)
    unknown = set(FLAGS.train) - {"mapping", "mapping_wplus", "nbnet"}
    if unknown:
        raise app.UsageError(f"--train: unknown baselines {sorted(unknown)}; choose from mapping, mapping_wplus, nbnet")
    for name, variant in (("mapping", "w"), ("mapping_wplus", "wplus")):
        if name in FLAGS.train:
            pairs = training_pairs.load_store(directory / "pairs", ("template", "w", "w_mix", "crossover"),
                                              extractor.name, limit=count)
            model = template_to_latent.train_mapping(pairs, variant, extractor.name, generator.num_ws, directory,
                                                     epochs=FLAGS.mapping_epochs)
            logging.info("%s: best epoch %s, held-out MSE %.4f", name, model.log["best_epoch"],
                         model.log["best_validation"])
    if "nbnet" in FLAGS.train:
        pairs = training_pairs.load_store(directory / "pairs", ("template", "face"), extractor.name, limit=count)
        _, meta = nbnet.train_nbnet(pairs, extractor, directory, epochs=FLAGS.nbnet_epochs,
                                    batch_size=FLAGS.nbnet_batch_size, feature_weight=FLAGS.nbnet_feature_weight,
                                    max_batches=FLAGS.nbnet_max_batches)
        logging.info("NbNet: best epoch %s, held-out loss %.4f", meta["best_epoch"], meta["best_validation"])
    logging.info("Baselines in %s (%.0f s this run)", directory, time.time() - started)


if __name__ == "__main__":
    project_flags.define_baseline_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
