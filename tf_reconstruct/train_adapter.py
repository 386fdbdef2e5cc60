"""`python -m tf_reconstruct.train_adapter --oracle=dlib`: what the black-box attack prepares once per oracle.

  1. the latent bank's generated faces (`python -m tf_reconstruct.train_baselines --pairs=20000 --train=`)
     scored by the oracle: a one-off cost in oracle calls, recorded apart from any face's
     (checkpoints/baselines/<surrogate>/oracle_bank_<oracle>/, resumable shard by shard);
  2. the adapter from the oracle's templates to the surrogate's, trained on those pairs (blackbox/adapter.py),
     saved as adapter_<oracle>_to_<surrogate>.weights.h5 and .json (its held-out cosine per epoch).
"""

import json
import time

from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.baselines import training_pairs
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.blackbox import adapter, oracle_bank
from tf_reconstruct.blackbox.oracle import load_oracle

FLAGS = flags.FLAGS


def main(argv):
    del argv
    directory = baselines_dir(FLAGS.baselines_dir, FLAGS.surrogate, FLAGS.checkpoint_dir)
    oracle = load_oracle(FLAGS.oracle, FLAGS.checkpoint_dir, FLAGS.oracle_dim, FLAGS.oracle_similarity)
    store = directory / "pairs"
    try:
        training_pairs.require_complete(store)
    except training_pairs.PairStoreError as error:
        raise training_pairs.PairStoreError(f"{error}; the black-box attack reads the surrogate's latent bank: "
                                            f"`python -m tf_reconstruct.train_baselines --attack_model="
                                            f"{FLAGS.surrogate} --pairs=20000 --train=`") from error
    cost = oracle_bank.build_oracle_bank(store, oracle, oracle_bank.bank_dir(directory, oracle.name))
    print(f"the bank scored by {oracle.name}: {cost['calls']} oracle calls, {cost['seconds']:.0f} s (one-off)")
    bank = oracle_bank.load_oracle_bank(store, oracle_bank.bank_dir(directory, oracle.name), oracle.name,
                                        FLAGS.surrogate, num_ws=1)
    started = time.time()
    model, log = adapter.train_adapter(bank.oracle_templates, bank.surrogate_templates, epochs=FLAGS.adapter_epochs)
    log["seconds"] = round(time.time() - started, 1)
    adapter.save_adapter(model, log, directory, oracle.name, FLAGS.surrogate)
    logging.info("adapter log: %s", json.dumps({key: log[key] for key in ("best_epoch", "validation_cosine")}))
    print(f"adapter {oracle.name} -> {FLAGS.surrogate}: held-out cosine {log['validation_cosine']:.4f} (untrained "
          f"{log['untrained_validation_cosine']:.4f}), epoch {log['best_epoch']} of {len(log['epochs'])}, "
          f"{log['seconds']:.0f} s")


if __name__ == "__main__":
    project_flags.define_train_adapter_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
