"""`python -m tf_reconstruct.train_adapter --oracle=dlib`: what the black-box attack prepares once per oracle.

  1. the latent bank's generated faces (`python -m tf_reconstruct.train_baselines --pairs=20000 --train=`)
     scored by the oracle: a one-off cost in oracle calls, recorded apart from any face's
     (checkpoints/baselines/<surrogate>/oracle_bank_<oracle>/, resumable shard by shard);
  2. with --adapter_data=bank_lfw, also LFW photos of the people with a single photo (whom no study draws),
     aligned and scored by the oracle and the surrogate once (blackbox/real_pairs.py, another one-off cost);
  3. the adapter from the oracle's templates to the surrogate's, trained on those pairs (blackbox/adapter.py),
     saved as adapter_<oracle>_to_<surrogate>[_bank_lfw].weights.h5 and .json (its held-out cosines per epoch);
  4. the student, the other way, from the surrogate's templates to the oracle's (blackbox/student.py), saved as
     student_<surrogate>_to_<oracle>[_bank_lfw].npz and .json. `--adapter_parts=student` fits it alone.
"""

import time

from absl import app, flags

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.baselines import training_pairs
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.blackbox import adapter, oracle_bank, real_pairs, student
from tf_reconstruct.blackbox.oracle import load_oracle
from tf_reconstruct.datasets import base, lfw
from tf_reconstruct.errors import MissingCheckpointError
from tf_reconstruct.evaluation import aligned_faces
from tf_reconstruct.models import registry

FLAGS = flags.FLAGS


def main(argv):
    del argv
    directory = baselines_dir(FLAGS.baselines_dir, FLAGS.surrogate, FLAGS.checkpoint_dir)
    oracle = load_oracle(FLAGS.oracle, FLAGS.checkpoint_dir, FLAGS.oracle_dim, FLAGS.oracle_similarity,
                         FLAGS.oracle_workers)
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
    real = real_photo_pairs(directory, oracle) if FLAGS.adapter_data == "bank_lfw" else None
    if "adapter" in FLAGS.adapter_parts:
        _fit_adapter(directory, oracle, bank, real)
    if "student" in FLAGS.adapter_parts:
        fitted = student.train_student(bank.surrogate_templates, bank.oracle_templates,
                                       None if real is None else (real.oracle, real.surrogate))
        student.save_student(fitted, directory, oracle.name, FLAGS.surrogate, FLAGS.adapter_data)
        log = fitted.log
        held = "; ".join(f"{name} {log[name + '_distance']:.4f}" for name in ("validation", "real_validation")
                         if name + "_distance" in log)
        print(f"student {FLAGS.surrogate} -> {oracle.name} ({FLAGS.adapter_data}): held-out mean distance {held}")


def _fit_adapter(directory, oracle, bank, real):
    started = time.time()
    model, log = adapter.train_adapter(bank.oracle_templates, bank.surrogate_templates, epochs=FLAGS.adapter_epochs,
                                       real=None if real is None else (real.oracle, real.surrogate),
                                       real_repeat=FLAGS.adapter_real_repeat)
    log["seconds"] = round(time.time() - started, 1)
    if real is not None:
        log["real_photos"] = {"source": FLAGS.adapter_lfw_dir, "photos": len(real.ids), "oracle_calls": real.calls,
                              **_bank_adapter_on_real(directory, oracle, real)}
    adapter.save_adapter(model, log, directory, oracle.name, FLAGS.surrogate, FLAGS.adapter_data)
    held = [f"{name} {log[name + '_cosine']:.4f} (untrained {log['untrained_' + name + '_cosine']:.4f})"
            for name in ("validation", "real_validation") if name + "_cosine" in log]
    print(f"adapter {oracle.name} -> {FLAGS.surrogate} ({FLAGS.adapter_data}): held-out cosine {'; '.join(held)}, "
          f"epoch {log['best_epoch']} of {len(log['epochs'])}, {log['seconds']:.0f} s")


def _bank_adapter_on_real(directory, oracle, real):
    """The bank-only adapter's cosine on the same held-out real photos, when it is there: what the photos add."""
    try:
        bank_only, _ = adapter.load_adapter(directory, oracle.name, FLAGS.surrogate, "bank")
    except MissingCheckpointError:
        return {}
    _, held = adapter.real_split(len(real.ids))
    cosine = adapter.mean_cosine(bank_only, real.oracle[held], real.surrogate[held])
    print(f"the bank-only adapter on the same held-out real photos: cosine {cosine:.4f}")
    return {"bank_only_adapter_real_validation_cosine": round(cosine, 4)}


def real_photo_pairs(directory, oracle):
    """The LFW photos of single-photo people, MTCNN-aligned as a study aligns its photos, and both systems'
    templates of them (cached under <baselines>/real_photos/, resumable)."""
    dataset = lfw.load_lfw(FLAGS.adapter_lfw_dir)
    people = real_pairs.adapter_identities(dataset.images_by_identity, FLAGS.adapter_real_photos)
    folder = directory / "real_photos"
    faces, failures = aligned_faces.align_images(base.iterate(dataset, people), folder / "aligned_photos.npz",
                                                 total=len(people))
    surrogate = registry.get_attack_extractor(FLAGS.surrogate, None, FLAGS.checkpoint_dir)
    pairs = real_pairs.embed_pairs(faces, oracle, surrogate, folder / f"pairs_{oracle.name}.npz")
    print(f"{len(pairs.ids)} real photos of {len(people)} single-photo LFW people ({len(failures)} without a face) "
          f"scored by {oracle.name}: {pairs.calls} oracle calls (one-off)")
    return pairs


if __name__ == "__main__":
    project_flags.define_train_adapter_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
