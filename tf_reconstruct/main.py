"""`python -m tf_reconstruct.main --dataset=lfw|colorferet|ffhq|folder`: the paper's experiment.

Reconstructs the selected identities' templates and writes Tables 1-2, the similarity histograms, the
Fig. 5 grid, per-identity scores and a manifest to experiments/<dataset>/<run_name>/ (see
evaluation/experiment.py); with --methods and --liveness also Tables 3-4 and the Fig. 6/9 grid
(evaluation/comparison.py; the baselines come from `python -m tf_reconstruct.train_baselines`).
Interrupt it at any time; the same command resumes.
"""

import pathlib

from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags, interrupts
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.blackbox import methods as blackbox_methods
from tf_reconstruct.datasets import colorferet, ffhq, folder, lfw
from tf_reconstruct.datasets.errors import DatasetError
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import methods
from tf_reconstruct.datasets.selection import excluded_identities
from tf_reconstruct.evaluation.experiment import ExperimentConfig, run_experiment
from tf_reconstruct.models import registry

FLAGS = flags.FLAGS
LOADERS = {"lfw": lfw.load_lfw, "colorferet": colorferet.load_colorferet, "ffhq": ffhq.load_ffhq,
           "folder": folder.load_folder}


def default_run_name(attack_model, num_identities, seed, optimizer, truncation, resolution):
    """The run folder's name from the settings that decide which faces are made.

    Not the precision: it changes how fast a face is made, and a run may go on under another one (each
    record says what it was computed in).
    """
    return f"{attack_model}_{num_identities}id_seed{seed}_{optimizer}_t{truncation:g}_{resolution}px"


def default_count(dataset_name, images_by_identity, eval_type, excluded=()):
    """Identities attacked when --num_identities is not given: the paper's 150 (50 for ffhq), or every
    eligible one (two images for type II, one for type I only, not drawn by an excluded run) when fewer."""
    count = 50 if dataset_name == "ffhq" else 150
    needed = 1 if eval_type == "I" else 2
    eligible = sum(len(images) >= needed for name, images in images_by_identity.items() if name not in excluded)
    if eligible < count:
        logging.warning("only %d identities are eligible; using all of them instead of %d", eligible, count)
    return min(count, eligible)


def check_choices():
    """Refuses an unknown --methods, --impostors or --liveness name in one line before anything is loaded or
    run (a typo found after hours of reconstruction would cost them)."""
    methods.check_methods(FLAGS.methods)
    from tf_reconstruct.evaluation.protocol import IMPOSTOR_MODES
    from tf_reconstruct.liveness.detectors import DETECTORS
    for flag, given, known in (("impostors", FLAGS.impostors, IMPOSTOR_MODES), ("liveness", FLAGS.liveness, DETECTORS)):
        unknown = [name for name in given if name not in known]
        if unknown:
            raise InputError(f"--{flag}: unknown {', '.join(unknown)}; choose from {', '.join(known)}")


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    check_choices()   # before anything loads: a bad list is one line
    black_box = blackbox_methods.is_blackbox(FLAGS.methods[0])
    settings = project_flags.engine_settings()
    project_flags.apply_threads()
    data_dir = FLAGS.data_dir or project_flags.DEFAULT_DATA_DIRS.get(FLAGS.dataset)
    if data_dir is None and FLAGS.dataset == "colorferet":
        raise DatasetError(f"--dataset=colorferet needs --data_dir. {colorferet.WHERE_TO_GET}")
    if data_dir is None:
        raise DatasetError(f"--dataset={FLAGS.dataset} needs --data_dir=<folder of <identity>/<images>>")
    dataset = LOADERS[FLAGS.dataset](data_dir)
    eval_type = FLAGS.eval_type
    if not dataset.labelled and eval_type != "I":
        logging.warning("%s has no identity labels: evaluating type I only", dataset.name)
        eval_type = "I"
    excluded_runs = tuple(map(pathlib.Path, FLAGS.exclude_identities_from))
    count = FLAGS.num_identities
    if count is None:
        count = default_count(FLAGS.dataset, dataset.images_by_identity, eval_type, excluded_identities(excluded_runs))
    run_name = FLAGS.run_name or default_run_name(FLAGS.attack_model, count, FLAGS.seed, FLAGS.optimizer,
                                                  FLAGS.truncation, FLAGS.resolution)
    config = ExperimentConfig(run_dir=pathlib.Path(FLAGS.out_root) / FLAGS.dataset / run_name, num_identities=count,
                              seed=FLAGS.seed, eval_type=eval_type, impostor_modes=tuple(FLAGS.impostors),
                              engine_settings=settings,
                              flags_text=FLAGS.flags_into_string(), max_reconstructions=FLAGS.max_reconstructions,
                              methods=tuple(FLAGS.methods), liveness=tuple(FLAGS.liveness),
                              resemblance=FLAGS.resemblance, grid_rows=FLAGS.grid_rows,
                              max_warm_starts=FLAGS.max_warm_starts,
                              thresholds_from=FLAGS.thresholds_from and pathlib.Path(FLAGS.thresholds_from),
                              exclude_identities_from=excluded_runs,
                              baselines_dir=baselines_dir(FLAGS.baselines_dir, FLAGS.surrogate if black_box
                                                          else FLAGS.attack_model, FLAGS.checkpoint_dir),
                              blackbox=project_flags.blackbox_config(FLAGS.methods[0]) if black_box else None)
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    # A black-box run's attacked system is only ever called as an oracle (blackbox/), so it needs no gradients.
    attacker = (registry.get_extractor(FLAGS.attack_model, FLAGS.extractor_weights, FLAGS.checkpoint_dir) if black_box
                else registry.get_attack_extractor(FLAGS.attack_model, FLAGS.extractor_weights, FLAGS.checkpoint_dir))
    evaluators = [registry.get_extractor(name, None, FLAGS.checkpoint_dir) for name in FLAGS.eval_models
                  if name != FLAGS.attack_model]
    run_experiment(dataset, generator, attacker, evaluators, config)
    logging.info("Results in %s", config.run_dir)


if __name__ == "__main__":
    project_flags.define_main_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    app.run(cli.clean_errors(main))
