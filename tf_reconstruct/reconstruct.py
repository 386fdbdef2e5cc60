"""`python -m tf_reconstruct.reconstruct --templates=DB --extractor=mobilefacenet192 --out_dir=OUT`

Template in, face out; `--method` picks the method: ours_fast (the default; issue 35, experiments/speed), the
paper's engine (ours) or another method beyond it (optimize/recipes.py). ours_fast starts from the latent
bank of generated faces (`python -m tf_reconstruct.train_baselines --pairs=20000 --train=`, once). Per
template it writes <name>.png (the full-resolution face), <name>_wplus.npy and <name>.json (loss, steps,
seconds, cosine of the final face to the template, settings). A re-run skips templates whose .json exists;
every file is written to a temporary name and renamed.

The database (datasets/templates.py: a .npy [N, d], a folder of .npy files, or a list file of them) is
read and validated whole before any work starts. `--backend=local` (the default) runs it in this process;
`--backend=ray` cuts it into shards of `--shard_size` templates and runs them on Ray actors, on this
machine or a cluster (distributed/ray_backend.py). For the same shard size both write the same files,
whatever the worker count, retries or resumes (a shard resumes by replaying its last checkpoint's batch).

`--attack=blackbox --oracle=dlib --method=bb_adapter_cma [--queries=N]` attacks a system seen only through its
outputs (blackbox/): the templates are the oracle's, each face's search may call it at most --queries times,
and each record names the oracle calls and every model touched. It reads what `python -m
tf_reconstruct.train_adapter --oracle=dlib` prepares once (the latent bank scored by the oracle, the adapter).
"""

import dataclasses

from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags, interrupts
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.blackbox import methods as blackbox_methods
from tf_reconstruct.datasets.templates import load_templates
from tf_reconstruct.errors import InputError
from tf_reconstruct.distributed import local_backend, ray_backend
from tf_reconstruct.distributed.shard_job import JobConfig
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import recipes

FLAGS = flags.FLAGS
# 8 batches of 8: each shard's tail (its last faces in a shrunken batch) costs 1-3% (experiments/scale).
RAY_SHARD_SIZE = 64


def job_config():
    return JobConfig(out_dir=FLAGS.out_dir, method=FLAGS.method, settings=project_flags.engine_settings(),
                     generator=FLAGS.generator, generator_weights=FLAGS.generator_weights,
                     extractor=FLAGS.extractor, extractor_weights=FLAGS.extractor_weights,
                     checkpoint_dir=FLAGS.checkpoint_dir, baselines_dir=FLAGS.baselines_dir, threads=FLAGS.threads)


def run_sharded(config, templates):
    """The database in shards: on Ray actors (--backend=ray) or one after another here (--shard_size)."""
    if FLAGS.backend == "ray":
        return ray_backend.run(config, templates, FLAGS.shard_size or RAY_SHARD_SIZE, FLAGS.workers,
                               FLAGS.cpus_per_worker, FLAGS.gpus_per_worker, FLAGS.ray_address, FLAGS.fault_drill_after)
    return local_backend.run(config, templates, FLAGS.shard_size)


def run_one_stream(extractor, templates):
    """Today's local path: the whole database as one stream of slots in this process."""
    settings = recipes.settings_of(FLAGS.method, project_flags.engine_settings())
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    starts = recipes.starts_of(FLAGS.method, generator, extractor.name,
                               baselines_dir(FLAGS.baselines_dir, extractor.name, FLAGS.checkpoint_dir), dict(templates))
    return recipes.run(FLAGS.method, generator, extractor, templates, FLAGS.out_dir, settings, starts)


def run_blackbox():
    """--attack=blackbox: the oracle's templates, attacked through its outputs only (blackbox/attack.py)."""
    from tf_reconstruct.blackbox.attack import Attacker
    from tf_reconstruct.blackbox.oracle import load_oracle
    method = blackbox_methods.check_method(FLAGS.method)
    if FLAGS.backend == "ray":
        ray_backend.require_ray()
    else:
        project_flags.apply_threads()
    oracle = load_oracle(FLAGS.oracle, FLAGS.checkpoint_dir, FLAGS.oracle_dim, FLAGS.oracle_similarity,
                         FLAGS.oracle_workers)
    templates = load_templates(FLAGS.templates, oracle.embedding_dim)
    if FLAGS.backend == "ray" or FLAGS.shard_size:
        config = dataclasses.replace(job_config(), extractor=FLAGS.surrogate, extractor_weights=None,
                                     blackbox=project_flags.blackbox_config(FLAGS.method),
                                     oracle=(FLAGS.oracle, FLAGS.oracle_dim, FLAGS.oracle_similarity))
        print(run_sharded(config, templates).text())
        return
    surrogate = (registry.get_attack_extractor(FLAGS.surrogate, None, FLAGS.checkpoint_dir)
                 if method.uses_surrogate else None)
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    attacker = Attacker(generator, oracle, baselines_dir(FLAGS.baselines_dir, FLAGS.surrogate, FLAGS.checkpoint_dir),
                        project_flags.blackbox_config(FLAGS.method), surrogate)
    made = attacker.run(templates, FLAGS.out_dir)
    print(f"{made} faces made by {FLAGS.method} against {oracle.name} into {FLAGS.out_dir}")


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    if FLAGS.attack == "blackbox" or blackbox_methods.is_blackbox(FLAGS.method):
        if FLAGS.attack != "blackbox":
            raise InputError(f"--method={FLAGS.method} is a black-box method: add --attack=blackbox --oracle=...")
        return run_blackbox()
    recipes.settings_of(FLAGS.method, project_flags.engine_settings())   # bad settings fail before anything loads
    if FLAGS.backend == "ray":
        ray_backend.require_ray()
    else:
        project_flags.apply_threads()
    # Loaded here also under Ray: a missing model or a bad database fails before any worker starts.
    extractor = registry.get_attack_extractor(FLAGS.extractor, FLAGS.extractor_weights, FLAGS.checkpoint_dir)
    templates = load_templates(FLAGS.templates, extractor.embedding_dim)
    if FLAGS.backend == "ray" or FLAGS.shard_size:
        summary = run_sharded(job_config(), templates)
    else:
        count = run_one_stream(extractor, templates)
        logging.info("Reconstructed %d templates into %s", count, FLAGS.out_dir)
        return
    print(summary.text())


if __name__ == "__main__":
    project_flags.define_reconstruct_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    app.run(cli.clean_errors(main))
