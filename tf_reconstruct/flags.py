"""Every command-line flag, defined once here. Only entry points (`__main__` modules) read FLAGS;
library code takes plain arguments."""

import importlib.util

from absl import flags

from tf_reconstruct.optimize import settings
from tf_reconstruct.optimize.settings import EngineSettings


def default_eval_models():
    """The two MobileFaceNets, and dlib's ResNet as an independent third evaluator where dlib is installed."""
    return ["mobilefacenet192", "mobilefacenet512"] + (["dlib_resnet128"] if importlib.util.find_spec("dlib") else [])


def define_checkpoint_flags():
    flags.DEFINE_string("checkpoint_dir", None,
                        "Model cache directory (default: checkpoints/ at the repo root, or $TF_RECONSTRUCT_CHECKPOINTS).")


def define_sample_flags():
    define_checkpoint_flags()
    flags.DEFINE_string("generator", "mobilestylegan", "Generator to sample.")
    flags.DEFINE_integer("num_faces", 8, "Faces in the grid.", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of the z ~ N(0, I) draws.")
    flags.DEFINE_float("truncation", 1.0, "lerp(w_avg, w, truncation): 1 = no truncation.", lower_bound=0.0)
    flags.DEFINE_integer("tile_size", 256, "Side of each face in the saved grid, in pixels.", lower_bound=16)
    flags.DEFINE_string("out", "experiments/samples/random_faces.png", "Output PNG.")


def define_engine_flags(extractor_flag="extractor"):
    """Flags of the optimisation loop and the models it uses; `extractor_flag` names the attacking extractor's flag."""
    define_checkpoint_flags()
    flags.DEFINE_string("generator", "mobilestylegan", "Generator: mobilestylegan or stylegan2.")
    flags.DEFINE_string("generator_weights", None, "Path of StyleGAN2 weights (required for --generator=stylegan2).")
    flags.DEFINE_string(extractor_flag, "mobilefacenet192",
                        "Attacking feature extractor (the one that made the templates): mobilefacenet192, "
                        "mobilefacenet512, arcface_inception_v3, arcface_inception_resnet_v2 or arcface_xception.")
    flags.DEFINE_string("extractor_weights", None, "Path of user weights (required for the arcface_* extractors).")
    d = EngineSettings()   # the flags' defaults are the engine's: defined once, in optimize/settings.py
    flags.DEFINE_integer("steps", d.steps, "Step cap (the paper's 2000).", lower_bound=2)
    flags.DEFINE_integer("patience", d.patience, "Stop a sample after this many steps without a new best (the "
                         "paper's 50).", lower_bound=1)
    flags.DEFINE_float("learning_rate", d.learning_rate, "Learning rate (the paper's SGD 0.1).", lower_bound=0.0)
    flags.DEFINE_enum("optimizer", d.optimizer, settings.OPTIMIZERS, "sgd is the paper's.")
    flags.DEFINE_enum("schedule", d.schedule, settings.SCHEDULES, "Learning-rate schedule.")
    flags.DEFINE_enum("space", d.space, settings.SPACES, "Latent space optimised (the paper's Fig. 2).")
    flags.DEFINE_enum("init", d.init, settings.INITIALISATIONS, "Initialisation (the paper's Fig. 3).")
    flags.DEFINE_enum("loss", d.loss, settings.LOSSES, "Feature loss (mse: the paper's eq. 3).")
    flags.DEFINE_float("truncation", d.truncation, "The paper's restraint lerp(w_avg, w+, weight) (the paper gives no "
                       "value; 0.7 keeps faces natural, see experiments/engine): 1 = none.", lower_bound=0.0,
                       upper_bound=1.0)
    flags.DEFINE_integer("resolution", d.resolution, "Side at which the loss image is rendered (16..1024; below 1024 "
                         "the generator stops early; the final face is always rendered at 1024). 256 is twice as fast "
                         "but loses quality (experiments/engine/modes.md).", lower_bound=16, upper_bound=1024)
    _define_beyond_paper_flags(d)
    flags.DEFINE_integer("batch_size", d.batch_size, "Templates optimised together (slots refilled as samples stop).",
                         lower_bound=1)
    flags.DEFINE_integer("seed", d.seed, "Seed of initialisation and selection.")
    flags.DEFINE_integer("threads", 0, "TensorFlow intra-op threads (0: one per core).", lower_bound=0)
    flags.DEFINE_enum("precision", d.precision, settings.PRECISIONS,
                      "What the generator and extractor compute in while optimising (w+, loss and optimizer "
                      "stay float32; the final render and score are float32). bfloat16 is 10-30% faster on a CPU "
                      "with AVX-512-bf16/AMX, but its loss floors near 0.01 and 6 of 52 LFW faces failed in it, 3 of "
                      "which pass in float32 (BUILD_NOTES.md); auto: bfloat16 where the CPU has it natively, else float32 "
                      "(emulated bfloat16 is 3.4x slower).")


def _define_beyond_paper_flags(d):
    """The engine options beyond the paper (each off at its default `d`: the paper's engine)."""
    flags.DEFINE_integer("restarts", d.restarts, "Beyond the paper (0: its engine): restart a template whose first SGD "
                         "steps overshot (it stopped on patience with its best loss in its first 5 steps) from its "
                         "start with half the step, at most this many times.", lower_bound=0)
    flags.DEFINE_bool("face_check", d.face_check, "Beyond the paper, with --restarts: also restart a template whose "
                      "best latent renders to an image where MTCNN (the simulated system's detector, confidence 0.9) "
                      "finds no face, e.g. a texture that matches the template through the fixed warp.")
    flags.DEFINE_float("augment", d.augment, "Beyond the paper (0: its engine), with --augment_views > 1: strength of "
                       "the random views of expectation over transformations (1: rotations up to 5 degrees, scale "
                       "within 5%, shifts up to 4 px, mirrored half the time; align/augment.py).", lower_bound=0.0)
    flags.DEFINE_integer("augment_views", d.augment_views, "Beyond the paper (1: its engine): views of the generated "
                         "face whose mean loss is followed (view 0 is the fixed warp, whose loss still decides "
                         "stopping).", lower_bound=1)
    flags.DEFINE_float("spread_penalty", d.spread_penalty, "Beyond the paper (0: its engine): weight of the penalty on "
                       "the spread of the w+ rows about their mean (towards W; optimize/regularizers.py).",
                       lower_bound=0.0)
    flags.DEFINE_float("anchor_penalty", d.anchor_penalty, "Beyond the paper (0: its engine): weight of the penalty "
                       "on the w+ distance from the sample's start (after a warm start).", lower_bound=0.0)
    flags.DEFINE_float("success_cosine", d.success_cosine, "Beyond the paper (0: off): also stop a face once the "
                       "attacker's cosine through the fixed warp has been at least this for --success_steps "
                       "evaluations in a row.", lower_bound=0.0, upper_bound=0.999)
    flags.DEFINE_integer("success_steps", d.success_steps, "Evaluations in a row at --success_cosine that stop a face.",
                         lower_bound=1)
    flags.DEFINE_integer("coarse_scale", d.coarse_scale, "Beyond the paper (1: off): the loss image at --resolution "
                         "divided by this (a power of two) for a face's first --coarse_steps steps at most, then at "
                         "--resolution from there.", lower_bound=1)
    flags.DEFINE_integer("coarse_steps", d.coarse_steps, "Cap on the coarse stage's steps (with --coarse_scale).",
                         lower_bound=0)
    flags.DEFINE_integer("coarse_success_steps", d.coarse_success_steps, "The success stop's hold in the coarse "
                         "stage (0: --success_steps, as in the fine stage).", lower_bound=0)


def engine_settings():
    """The parsed engine flags as one EngineSettings (validated: a SettingsError names the bad flag)."""
    values = flags.FLAGS
    return EngineSettings(**{name: values[name].value for name in settings.field_names() if name in values})


def apply_threads():
    """Applies --threads (TensorFlow intra-op threads) before any op runs; 0 keeps TensorFlow's one per core."""
    if flags.FLAGS.threads:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(flags.FLAGS.threads)


def define_reconstruct_flags():
    define_engine_flags()
    flags.DEFINE_string("templates", None, "A .npy of one [d] or many [N, d] templates, or a folder of .npy files.")
    flags.DEFINE_string("out_dir", None, "Where the faces, w+ and records go (resumable).")
    flags.DEFINE_string("method", "ours_fast", "ours_fast (the default: ours_plus's strength in about a tenth of its "
                        "time; it starts from the latent bank, made by `python -m tf_reconstruct.train_baselines "
                        "--pairs=20000 --train=`), ours (the paper's engine, with the engine flags as given) or "
                        "another method beyond the paper, whose settings override those flags: see "
                        "optimize/recipes.py.")
    flags.DEFINE_string("baselines_dir", None, "Where the latent bank's generated pairs and the Mapping are (default: "
                        "checkpoints/baselines/<extractor>; made by `python -m tf_reconstruct.train_baselines`).")
    flags.DEFINE_enum("backend", "local", ["local", "ray"], "local: this process; ray: shards of the database on Ray "
                      "actors (pip install -e '.[ray]'), on this machine or a cluster (--ray_address).")
    flags.DEFINE_integer("shard_size", None, "Templates per shard, the unit a worker runs and Ray retries (default 64 "
                         "with Ray). With --backend=local it runs the shards in turn, writing what Ray writes for the same "
                         "shard size; without it the local backend runs the database as one stream.",
                         lower_bound=1)
    flags.DEFINE_integer("workers", 1, "Ray actors, each holding the models once.", lower_bound=1)
    flags.DEFINE_integer("cpus_per_worker", 0, "CPUs (TensorFlow threads) per Ray actor; 0 shares the cluster's CPUs "
                         "out among --workers.", lower_bound=0)
    flags.DEFINE_float("gpus_per_worker", 0.0, "GPUs per Ray actor (needs the GPU install: make setup TF=gpu).",
                       lower_bound=0.0)
    flags.DEFINE_string("ray_address", None, "A running Ray cluster: auto, or the head's host:port; unset starts Ray "
                        "on this machine.")
    flags.DEFINE_integer("fault_drill_after", 0, "Ray only, to check recovery: kill worker 0 once after this many "
                         "faces of the run are written (Ray restarts it and retries its shard).", lower_bound=0)
    flags.DEFINE_enum("attack", "whitebox", ["whitebox", "blackbox"], "whitebox: --extractor's gradients; blackbox: "
                      "--oracle's outputs only, with a black-box --method (bb_..., blackbox/methods.py).")
    define_oracle_flags()
    define_blackbox_flags()
    flags.mark_flags_as_required(["templates", "out_dir"])


def define_oracle_flags():
    """The attacked system seen only through its outputs (blackbox/oracle.py)."""
    flags.DEFINE_string("oracle", "dlib", "The black box: dlib (dlib's ResNet, C++), or python:<module>:<function> for "
                        "your own system, a function from uint8 ArcFace-aligned faces [B, 112, 112, 3] to templates "
                        "[B, --oracle_dim] (blackbox/oracle.py shows how to wrap an SDK).")
    flags.DEFINE_integer("oracle_dim", None, "A python: oracle's template dimension.", lower_bound=1)
    flags.DEFINE_enum("oracle_similarity", "cosine", ["cosine", "negative_euclidean"], "How a python: oracle's "
                      "templates compare (dlib's is its own: negative Euclidean distance).")
    define_oracle_workers_flag()
    define_surrogate_flag()


def define_oracle_workers_flag():
    flags.DEFINE_integer("oracle_workers", 2, "Processes answering the oracle's queries, each with its own copy of "
                         "the system (dlib runs on one core each); 1 for an SDK that must not be loaded twice.",
                         lower_bound=1)


def define_surrogate_flag():
    flags.DEFINE_string("surrogate", "mobilefacenet192", "The white-box model the adapter translates the oracle's "
                        "templates into, and whose latent bank the black-box attack reads.")


def define_blackbox_flags():
    """The black-box attack's search (blackbox/): its query budget and CMA-ES's subspace."""
    flags.DEFINE_integer("queries", 1000, "Oracle calls per face for a black-box method's search (the latent bank's "
                         "one-off scoring is counted apart).", lower_bound=1)
    flags.DEFINE_integer("bb_directions", 32, "Directions of CMA-ES's subspace of w.", lower_bound=1)
    flags.DEFINE_integer("bb_groups", 2, "w+ row groups moving apart in CMA-ES (1: W).", lower_bound=1)
    flags.DEFINE_float("bb_sigma", 0.5, "CMA-ES's first step, in the bank's standard deviations.", lower_bound=0.0)
    flags.DEFINE_integer("bb_popsize", 16, "CMA-ES faces per generation.", lower_bound=2)
    flags.DEFINE_float("bb_surrogate_weight", 1.0, "The _joint methods' weight of the surrogate's cosine to the "
                       "translated template, added to the oracle's similarity.", lower_bound=0.0)
    flags.DEFINE_bool("bb_freeze_unseen_rows", True, "CMA-ES moves only the rows of w+ the oracle's render reads "
                      "(256 px, 512 for a _q512 method); the rows styling the finer layers stay at the start's.")


def blackbox_config(method):
    """The parsed black-box flags as a blackbox.attack.BlackBoxConfig for `method`."""
    from tf_reconstruct.blackbox.attack import BlackBoxConfig
    from tf_reconstruct.blackbox.cma_refine import CmaSettings
    values = flags.FLAGS
    cma = CmaSettings(queries=values.queries, directions=values.bb_directions, groups=values.bb_groups,
                      sigma=values.bb_sigma, popsize=values.bb_popsize, surrogate_weight=values.bb_surrogate_weight,
                      freeze_unseen_rows=values.bb_freeze_unseen_rows)
    return BlackBoxConfig(method=method, queries=values.queries, cma=cma, engine_settings=engine_settings(),
                          surrogate=values.surrogate, oracle_workers=values.oracle_workers,
                          checkpoint_dir=values.checkpoint_dir,
                          stage_from=values.bb_stage_from if "bb_stage_from" in values else None)


def define_train_adapter_flags():
    """`python -m tf_reconstruct.train_adapter`: the bank scored by the oracle, and the adapter (and student) fitted
    on it."""
    define_checkpoint_flags()
    define_oracle_flags()
    flags.DEFINE_string("baselines_dir", None, "The surrogate's latent bank (default: checkpoints/baselines/"
                        "<surrogate>); the scored bank and the adapter go beside it.")
    flags.DEFINE_integer("adapter_epochs", 60, "Most adapter epochs (the best held-out one is kept).", lower_bound=1)
    flags.DEFINE_enum("adapter_data", "bank", ["bank", "bank_lfw"], "What the adapter learns from: the bank's generated "
                      "faces, or them and real LFW photos of the people with one photo, whom no study draws (the "
                      "_lfw black-box methods use that adapter).")
    flags.DEFINE_string("adapter_lfw_dir", "../shared/data/lfw", "LFW folder of --adapter_data=bank_lfw's photos.")
    flags.DEFINE_integer("adapter_real_photos", None, "At most this many single-photo people (a seeded draw; "
                         "default: all).", lower_bound=2)
    flags.DEFINE_integer("adapter_real_repeat", 1, "Times each real training pair is shown per epoch.", lower_bound=1)
    flags.DEFINE_multi_enum("adapter_parts", ["adapter", "student"], ["adapter", "student"], "What to fit on the "
                            "pairs: the adapter (oracle -> surrogate, a minute) and the student (surrogate -> oracle, "
                            "seconds; the _student methods' white-box stage). Repeat the flag for both.")


def define_blackbox_table_flags():
    """`python -m tf_reconstruct.studies.blackbox_table`: table_blackbox from finished black-box runs."""
    define_checkpoint_flags()
    flags.DEFINE_list("blackbox_runs", ["experiments/blackbox/lfw/screen24", "experiments/blackbox/lfw/screen24_seenrows",
                                        "experiments/blackbox/lfw/fresh48", "experiments/blackbox/lfw/fresh48_adapter2",
                                        "experiments/blackbox/lfw/fresh48_student", "experiments/blackbox/lfw/lfw149"],
                      "Run folders of `main --attack_model=dlib_resnet128 --methods=bb_...`.")
    flags.DEFINE_string("blackbox_out", "experiments/blackbox", "Where table_blackbox.{md,csv} go.")
    flags.DEFINE_list("blackbox_anchor_runs", ["experiments/fidelity/lfw/screen24", "experiments/fidelity/lfw/finalists48",
                                               "experiments/lfw/mobilefacenet192_150id_seed0_sgd_t0.7_512px:ours_fast"],
                      "White-box runs on the same people whose --blackbox_anchor row (or <run>:<method>'s) is shown "
                      "for scale.")
    flags.DEFINE_string("blackbox_anchor", "ours_fast_c2f_hold30", "The white-box anchor method (ours_fast's "
                        "settings).")


def define_scale_flags():
    """`python -m tf_reconstruct.studies.scale_throughput`: local against Ray, and a fault drill (experiments/scale)."""
    define_engine_flags()
    flags.DEFINE_string("data_dir", "../shared/data/lfw", "LFW folder with lfw-names.txt and lfw-deepfunneled.tgz.")
    flags.DEFINE_integer("scale_faces", 32, "Templates in the database.", lower_bound=2)
    flags.DEFINE_integer("scale_shard_size", 16, "Templates per shard.", lower_bound=1)
    flags.DEFINE_integer("scale_drill_after", 8, "Faces written before the drill kills worker 0.", lower_bound=1)
    flags.DEFINE_string("scale_out", "experiments/scale", "Where the table goes (templates and faces: work/).")
    flags.DEFINE_string("scale_steps_from", "experiments/lfw/mobilefacenet192_150id_seed0_sgd_t0.7_512px/reconstructions",
                        "A finished run whose faces' step counts model the cost of shards (tail_model.md); empty: skip.")


def define_bench_flags():
    define_engine_flags()
    flags.DEFINE_integer("bench_steps", 6, "Timed steps per mode (after one tracing step).", lower_bound=2)
    flags.DEFINE_integer("bench_resolution", 512, "Loss resolution of the reduced-resolution modes.")
    flags.DEFINE_integer("bench_mean_steps", 318, "Steps per face used to turn s/step into s/face (the mean of the "
                         "default mode on 20 LFW templates, experiments/engine/modes.md).", lower_bound=1)
    flags.DEFINE_bool("bench_xla", True, "Also time the compiled step with XLA jit_compile.")
    flags.DEFINE_list("bench_methods", ["ours_plus", "ours_fast"], "Methods whose step is timed too (one mode per "
                      "stage); the first is the reference of the s / face ratios.")
    flags.DEFINE_string("bench_steps_from", "", "A finished run folder: each method's s / face at the mean steps "
                        "its faces took there (empty: s / face-step only).")
    flags.DEFINE_string("bench_out", "experiments/bench/README.md", "Markdown output.")


def define_query_speed_flags():
    """`python -m tf_reconstruct.studies.query_speed`: where a black-box query's time goes."""
    define_engine_flags()
    define_oracle_flags()
    flags.DEFINE_integer("bench_generations", 8, "Timed generations (after one untimed).", lower_bound=1)
    flags.DEFINE_integer("bench_popsize", 16, "Faces per generation (CMA-ES's --bb_popsize).", lower_bound=2)
    flags.DEFINE_string("bench_out", "experiments/blackbox/query_speed", "Output stem (.md and .csv).")


def define_profile_flags():
    """`python -m tf_reconstruct.studies.step_profile`: where one engine step's time goes (experiments/speed)."""
    define_engine_flags()
    flags.DEFINE_string("profile_method", "ours_plus", "ours or a recipe of optimize/recipes.py.")
    flags.DEFINE_integer("profile_steps", 5, "Steps traced by TensorFlow's profiler.", lower_bound=1)
    flags.DEFINE_integer("profile_warmup", 3, "Untraced steps first (tracing, first-step compile).", lower_bound=1)
    flags.DEFINE_string("profile_out", "experiments/speed", "Where profile.md and profile.csv go.")


def define_speed_strength_flags():
    """`python -m tf_reconstruct.studies.speed_strength`: the speed-strength table of issue 35."""
    flags.DEFINE_list("speed_runs", ["experiments/fidelity/lfw/screen24", "experiments/fidelity/lfw/finalists48",
                                     "experiments/lfw/mobilefacenet192_150id_seed0_sgd_t0.7_512px"],
                      "Finished run folders whose summary.csv gives the rows.")
    flags.DEFINE_list("speed_methods", ["ours", "ours_plus", "ours_bank_eot_spread", "ours_fast", "ours_fast_c2f",
                                        "ours_fast_c2f_q99", "ours_fast_c2f_hold30", "ours_fast_c2f_k30",
                                        "ours_fast_c2f_hold30_bank4k", "ours_fast_c2f_hold60"],
                      "The methods shown (empty: every method of the runs).")
    flags.DEFINE_string("speed_out", "experiments/speed/strength_vs_time", "Output path without suffix.")


def define_success_level_flags():
    """`python -m tf_reconstruct.studies.success_level`: the attacker's genuine-pair cosines (the success stop's level)."""
    define_checkpoint_flags()
    flags.DEFINE_string("attack_model", "mobilefacenet192", "The attacking extractor whose genuine scores are measured.")
    flags.DEFINE_string("data_dir", "../shared/data/lfw", "LFW folder with its pairs files and lfw-deepfunneled.tgz.")
    flags.DEFINE_string("success_pairs_file", "pairsDevTrain.txt", "The LFW pairs file whose genuine pairs are scored.")
    flags.DEFINE_list("success_exclude", ["experiments/lfw/mobilefacenet192_150id_seed0_sgd_t0.7_512px",
                                          "experiments/fidelity/lfw/screen24", "experiments/fidelity/lfw/finalists48"],
                      "Run folders whose people (selection.json) are left out: the people the methods are scored on.")
    flags.DEFINE_integer("success_max_pairs", None, "Score only the first N kept pairs (quick runs).", lower_bound=1)
    flags.DEFINE_string("success_out", "experiments/speed", "Where success_level.{md,csv,png} go.")
    flags.DEFINE_integer("threads", 0, "TensorFlow intra-op threads (0: one per core).", lower_bound=0)


def define_study_flags():
    define_engine_flags()
    flags.DEFINE_string("data_dir", "../shared/data/lfw", "LFW folder with lfw-names.txt and lfw-deepfunneled.tgz.")
    flags.DEFINE_integer("study_templates", 20, "LFW identities whose source templates are attacked.", lower_bound=1)
    flags.DEFINE_list("study_modes", [], "Modes to run (default: all); see studies/engine_modes.MODES.")
    flags.DEFINE_string("study_out", "experiments/engine", "Output folder.")
    flags.DEFINE_string("study_sgd_mode", "sgd_mse_trunc0.7_256_bf16", "SGD mode drawn in loss_curves.png (the "
                        "Adam mode's settings but for the optimizer).")
    flags.DEFINE_string("study_adam_mode", "adam_projector_mse_trunc0.7_256_bf16", "Adam mode drawn in loss_curves.png.")


def define_attribute_study_flags():
    """`python -m tf_reconstruct.studies.attribute_judges`: the gender and age judges on real LFW photos."""
    flags.DEFINE_string("data_dir", "../shared/data/lfw", "LFW folder with lfw-names.txt and lfw-deepfunneled.tgz.")
    flags.DEFINE_integer("study_identities", 100, "LFW identities (>= 3 photos each) for the unlabelled checks.",
                         lower_bound=2)
    flags.DEFINE_integer("seed", 0, "Seed of the identities drawn.")
    flags.DEFINE_string("study_out", "experiments/attributes", "Output folder (its attribute_scores.json caches).")


DATASETS = ("lfw", "colorferet", "ffhq", "folder")
DEFAULT_DATA_DIRS = {"lfw": "../shared/data/lfw", "ffhq": "../shared/data/ffhq_samples"}


def define_main_flags():
    """`python -m tf_reconstruct.main`: the paper's experiment (Tables 1-2, Figs. 5, 7, 8)."""
    define_engine_flags(extractor_flag="attack_model")
    flags.DEFINE_enum("dataset", "lfw", DATASETS, "Dataset: lfw, colorferet (NIST, licensed), ffhq (no labels: type I "
                      "only) or folder (<identity>/<images>).")
    flags.DEFINE_string("data_dir", None, "Dataset location (default: ../shared/data/lfw for lfw, "
                        "../shared/data/ffhq_samples for ffhq; required for colorferet and folder).")
    flags.DEFINE_enum("eval_type", "both", ["I", "II", "both"], "Type I (against the source photo), type II (against "
                      "the identity's other photos) or both.")
    flags.DEFINE_list("eval_models", default_eval_models(), "Evaluating extractors; the attacker is always evaluated "
                      "too (Table 1), the others give Table 2. dlib_resnet128 (not ArcFace; Euclidean distance) is in "
                      "the default when dlib is installed.")
    flags.DEFINE_integer("num_identities", None, "Identities attacked (default: the paper's 150; 50 for ffhq, or all "
                         "of them when fewer).", lower_bound=1)
    flags.DEFINE_list("impostors", ["all", "pairs"], "Impostor sets: all (every cross-identity pair of the selected "
                      "photos) and/or pairs (the dataset protocol, LFW pairs.txt; skipped where there is none).")
    flags.DEFINE_list("exclude_identities_from", [], "Run folders whose selected identities (selection.json) this "
                      "run must not draw: a study on people the other runs did not use (e.g. finalists measured "
                      "on people neither the paper-size run nor the screen used).")
    flags.DEFINE_string("thresholds_from", None, "A finished run folder (e.g. experiments/lfw/<run_name>) whose "
                        "thresholds also score this run, as rows '<its dataset>-<its impostor mode>': a deployed "
                        "system's operating points, for ffhq, which has no labels to set its own.")
    flags.DEFINE_string("run_name", None, "Run folder under experiments/<dataset>/ (default: from the settings); a "
                        "re-run with the same name resumes.")
    flags.DEFINE_string("out_root", "experiments", "Root of the run folders.")
    flags.DEFINE_integer("max_reconstructions", None, "Optimise at most this many new identities in this run (ours; "
                         "mapping_opt too unless --max_warm_starts is given), then score every finished one (to run the "
                         "experiment in chunks; 0 only re-scores).", lower_bound=0)
    flags.DEFINE_list("methods", ["ours"], "Methods compared in table3 (the paper's Table 3): ours, mapping (Dong et "
                      "al., template -> w), mapping_wplus (-> w+), mapping_opt (ours started at the Mapping's w), "
                      "nbnet (Mai et al.), ours_restarts (beyond the paper: ours, restarting a template whose "
                      "first steps overshot with half the step, up to 3 times; the others are ours' own "
                      "outputs). The baselines come from `python -m tf_reconstruct.train_baselines`. "
                      "The paper's Figs. 2-3 ablations (table ablation.md): z_mean, w_mean, wplus_uniform (ours "
                      "optimising z or w from the mean, or w+ from a uniform start).")
    flags.DEFINE_integer("grid_rows", 6, "Identities (rows) in the methods grid fig6_methods.png.", lower_bound=1)
    flags.DEFINE_bool("resemblance", True, "Score every reconstruction's gender and age against its source photo "
                      "(SSR-Net classifiers, judges only): resemblance.md and columns of per_identity.csv.")
    flags.DEFINE_list("liveness", [], "Liveness detectors for table4 (the paper's Table 4): antispoof "
                      "(FaceAntiSpoofing.tflite), faceplugin (fr_liveness.onnx).")
    flags.DEFINE_string("baselines_dir", None, "Trained baselines (default: checkpoints/baselines/<attack_model>).")
    define_blackbox_flags()
    define_surrogate_flag()
    define_oracle_workers_flag()
    flags.DEFINE_string("bb_stage_from", None, "A black-box run folder on the same people whose white-box stage (the "
                        "adapter routes' ours_fast on the translated templates) this run shares instead of its own.")
    flags.DEFINE_integer("max_warm_starts", None, "Run at most this many new reconstructions per optimising "
                         "comparison method: mapping_opt and the ablations (default: --max_reconstructions).",
                         lower_bound=0)


def define_baseline_flags():
    """`python -m tf_reconstruct.train_baselines`: generated pairs, then the Mapping (w, w+) and NbNet baselines."""
    define_checkpoint_flags()
    flags.DEFINE_string("attack_model", "mobilefacenet192", "Extractor whose templates the baselines invert.")
    flags.DEFINE_string("baselines_dir", None, "Where the pairs and trained baselines go (default: "
                        "checkpoints/baselines/<attack_model>).")
    flags.DEFINE_integer("pairs", 20000, "Generated training pairs (rounded up to whole shards of --shard_size).",
                         lower_bound=1)
    flags.DEFINE_integer("shard_size", 1000, "Pairs per shard file.", lower_bound=1)
    flags.DEFINE_integer("pair_batch_size", 8, "Faces rendered together while generating pairs.", lower_bound=1)
    flags.DEFINE_integer("pair_seed", 0, "Seed of the generated pairs.")
    flags.DEFINE_list("train", ["mapping", "mapping_wplus", "nbnet"], "Baselines to train.")
    flags.DEFINE_integer("mapping_epochs", 30, "Mapping epochs (the best held-out epoch is kept).", lower_bound=1)
    flags.DEFINE_integer("nbnet_epochs", 1, "NbNet epochs in all; raise it to continue a trained NbNet.",
                         lower_bound=1)
    flags.DEFINE_integer("nbnet_batch_size", 32, "NbNet batch size.", lower_bound=1)
    flags.DEFINE_float("nbnet_feature_weight", 0.1, "Weight of the feature loss (1 - cosine) beside the pixel MSE.",
                       lower_bound=0.0)
    flags.DEFINE_integer("nbnet_max_batches", None, "Cap on batches per NbNet epoch (for quick runs).", lower_bound=1)
    flags.DEFINE_integer("threads", 0, "TensorFlow intra-op threads (0: one per core).", lower_bound=0)


def define_boundary_flags():
    """`python -m tf_reconstruct.train_boundaries`: labelled generated faces and InterfaceGAN boundaries."""
    define_checkpoint_flags()
    flags.DEFINE_string("generator", "mobilestylegan", "Generator whose W space is labelled: mobilestylegan or stylegan2.")
    flags.DEFINE_string("generator_weights", None, "Path of StyleGAN2 weights (required for --generator=stylegan2).")
    flags.DEFINE_integer("num_samples", 20000, "Generated faces to label (InterfaceGAN: 500,000).", lower_bound=100)
    flags.DEFINE_integer("sample_seed", 0, "Seed of the samples' z draws (shard k draws from (seed, k)).")
    flags.DEFINE_integer("shard_size", 500, "Samples per resumable shard.", lower_bound=1)
    flags.DEFINE_float("boundary_fraction", 0.1, "Fraction of samples taken from each end of an attribute's scores "
                       "(InterfaceGAN: 2% of 500,000).", lower_bound=0.001, upper_bound=0.5)
    flags.DEFINE_list("boundary_attributes", ["age", "gender", "smile", "neutral", "yaw", "pitch", "eyes_open"],
                      "Attributes to fit a boundary for (names of attributes/classifiers.ATTRIBUTES).")
    flags.DEFINE_string("label_worker", "0/1", "i/n: make only the shards numbered i modulo n, so n processes can "
                        "label one store together (then run once more without it to fit the boundaries).")
    flags.DEFINE_bool("label_only", False, "Only grow the labelled sample store (resumable); fit no boundary.")
    flags.DEFINE_string("samples_dir", None, "Labelled samples (default: checkpoints/editing/<generator>/samples).")
    flags.DEFINE_string("boundaries_dir", None, "Boundaries (default: checkpoints/boundaries/<generator>).")
    flags.DEFINE_string("report_out", "experiments/editing", "Where the boundary accuracy table goes.")


def define_edit_flags():
    """`python -m tf_reconstruct.edit`: attribute edits and normalised faces of reconstructions or photos."""
    define_checkpoint_flags()
    flags.DEFINE_string("generator", "mobilestylegan", "Generator whose W+ the latents are in.")
    flags.DEFINE_string("generator_weights", None, "Path of StyleGAN2 weights (required for --generator=stylegan2).")
    flags.DEFINE_string("latents", None, "A .npy of w+ ([num_ws, 512] or [N, num_ws, 512]) or w, or a run folder "
                        "(its reconstructions/<name>_wplus.npy).")
    flags.DEFINE_string("photo", None, "A photo to invert into W+ (instead of --latents) and then edit.")
    flags.DEFINE_string("attribute", None, "Attribute to edit: one with a boundary (age, gender, smile, neutral, yaw, "
                        "pitch, eyes_open by default).")
    flags.DEFINE_list("strengths", ["-3", "-1.5", "0", "1.5", "3"], "Steps along the unit normal (in W units).")
    flags.DEFINE_list("condition", [], "Attributes to hold: their normals are projected out of the edit "
                      "(InterfaceGAN's conditional editing).")
    flags.DEFINE_string("layers", "all", "w+ rows edited: all, coarse, middle, fine (comma-separated) or a range a-b.")
    flags.DEFINE_bool("normalize", False, "Normalise instead of editing: move yaw, pitch and smile until the "
                      "classifiers read the face frontal and neutral (after Cole et al.).")
    flags.DEFINE_integer("normalize_iterations", 8, "Renders the normalisation loop may spend per face.", lower_bound=1)
    flags.DEFINE_string("out", None, "Output folder (default: experiments/editing/cli/<latents or photo name>).")
    flags.DEFINE_string("boundaries_dir", None, "Boundaries (default: checkpoints/boundaries/<generator>, made by "
                        "`python -m tf_reconstruct.train_boundaries`).")
    flags.DEFINE_string("identity_model", "mobilefacenet512", "Extractor whose cosine between edited and unedited "
                        "faces reports the identity kept ('none' to skip).")
    flags.DEFINE_integer("edit_resolution", 1024, "Side of the rendered faces.", lower_bound=16)
    flags.DEFINE_string("extractor", "mobilefacenet192", "With --photo: the extractor of the inversion's identity "
                        "loss and of the latent-bank start.")
    flags.DEFINE_string("baselines_dir", None, "With --photo: where the latent bank is (default: "
                        "checkpoints/baselines/<extractor>).")
    flags.DEFINE_integer("invert_steps", 300, "With --photo: Adam steps of the inversion.", lower_bound=1)


def define_editing_study_flags():
    """`python -m tf_reconstruct.studies.editing_control`: edit control, normalisation and real-photo edits."""
    define_checkpoint_flags()
    flags.DEFINE_string("study_run", "experiments/lfw/mobilefacenet192_150id_seed0_sgd_t0.7_512px",
                        "LFW run whose reconstructions are edited (and whose thresholds score them).")
    flags.DEFINE_string("study_ffhq_run", "experiments/ffhq/mobilefacenet192_10id_seed0_sgd_t0.7_512px",
                        "FFHQ run whose reconstructions are edited.")
    flags.DEFINE_string("data_dir", "../shared/data/lfw", "LFW folder.")
    flags.DEFINE_string("ffhq_dir", "../shared/data/ffhq_samples", "FFHQ samples folder.")
    flags.DEFINE_integer("study_faces", 50, "LFW reconstructions edited.", lower_bound=1)
    flags.DEFINE_integer("study_ffhq_faces", 10, "FFHQ reconstructions edited.", lower_bound=0)
    flags.DEFINE_list("study_strengths", ["-3", "-2", "-1", "0", "1", "2", "3"], "Edit strengths (symmetric, with 0).")
    flags.DEFINE_list("boundary_attributes", ["age", "gender", "smile", "neutral", "yaw", "pitch", "eyes_open"],
                      "Boundaries edited along.")
    flags.DEFINE_string("boundaries_dir", None, "Boundaries (default: checkpoints/boundaries/<generator>).")
    flags.DEFINE_integer("study_resolution", 256, "Side at which edited faces are rendered and read.", lower_bound=64)
    flags.DEFINE_integer("study_photos", 10, "Real photos of each dataset inverted and edited (0: none).", lower_bound=0)
    flags.DEFINE_integer("study_invert_steps", 300, "Adam steps of each photo's inversion.", lower_bound=1)
    flags.DEFINE_string("baselines_dir", None, "Where the latent bank (the inversions' start) is (default: "
                        "checkpoints/baselines/mobilefacenet192, made by train_baselines).")
    flags.DEFINE_bool("study_normalize", True, "Also normalise the LFW reconstructions of the run.")
    flags.DEFINE_integer("study_normalize_faces", 0, "Reconstructions normalised (0: all of the run's).", lower_bound=0)
    flags.DEFINE_string("study_out", "experiments/editing", "Output folder (its cache/ resumes the study).")


def define_inpaint_flags():
    """`python -m tf_reconstruct.inpaint`: fill the hole of one face photo."""
    define_checkpoint_flags()
    flags.DEFINE_string("image", None, "The face photo (any size; JPEG or PNG).")
    flags.DEFINE_string("mask", None, "The hole: an image of the same size, white (> 127) where pixels are missing.")
    flags.DEFINE_enum("method", "inversion", ["inversion", "patent", "telea", "ns"], "inversion: masked W+ inversion "
                      "with the generator's prior; patent: the trained facial-style network (train_inpainting); telea, "
                      "ns: OpenCV's classical fills.")
    flags.DEFINE_string("network_dir", None, "With --method=patent: the trained network (default: "
                        "checkpoints/inpainting/full_256).")
    flags.DEFINE_string("out", None, "Output stem (default: next to --image, <name>_<method>): writes <stem>.png and "
                        "<stem>_side_by_side.png.")
    flags.DEFINE_integer("invert_steps", 300, "Adam steps of the inversion.", lower_bound=1)
    flags.DEFINE_string("extractor", "mobilefacenet192", "The inversion's identity term and the template its start "
                        "is drawn from.")
    flags.DEFINE_enum("invert_start", "bank", ["bank", "mapping"], "The inversion's start from the holed face's "
                      "template: the latent bank's w, or the trained Mapping's (train_baselines makes both).")
    flags.DEFINE_string("baselines_dir", None, "Where the latent bank and the Mapping are (default: "
                        "checkpoints/baselines/<extractor>).")
    flags.DEFINE_string("template", None, "With --method=inversion: guide the fill by the person's template, a .npy "
                        "of one --extractor template (from a database) or another photo of the person (embedded "
                        "here); the record names which.")
    flags.DEFINE_float("identity_weight", None, "Weight of the identity term against the known pixels' MSE "
                       "(default 0.1, guided or not; the guided one chosen on dev identities: "
                       "experiments/inpainting/guided_dev).", lower_bound=0.0)
    flags.DEFINE_enum("blend", "poisson", ["paste", "feather", "poisson"], "How the inversion's face goes into the "
                      "hole: pasted, feathered with its colours matched to a ring around the hole, or Poisson-blended "
                      "(cv2.seamlessClone). Pixels outside the hole are never changed.")
    flags.mark_flags_as_required(["image", "mask"])


def define_inpainting_training_flags():
    """`python -m tf_reconstruct.train_inpainting`: the patent's network on real and generated faces."""
    define_checkpoint_flags()
    define_inpainting_test_set_flags()
    flags.DEFINE_string("lfw_dir", "../shared/data/lfw", "LFW folder: the real training and validation photos, "
                        "from identities outside the inpainting test set.")
    flags.DEFINE_integer("train_faces", 2000, "Generated faces rendered and parsed for training.", lower_bound=8)
    flags.DEFINE_integer("real_faces", 3000, "LFW photos (at most 2 per identity) framed and parsed for training "
                         "(0: generated faces only, as issue 21's networks).", lower_bound=0)
    flags.DEFINE_integer("validation_faces", 64, "LFW photos of other identities whose hole L1 stops training "
                         "(0: no validation, a fixed --train_steps budget).", lower_bound=0)
    flags.DEFINE_float("real_fraction", 0.75, "The chance that a training face is a real photo.", lower_bound=0.0,
                       upper_bound=1.0)
    flags.DEFINE_bool("augment", True, "Colour, light and mirror jitter of the training faces.")
    flags.DEFINE_enum("style", "liu2018", ["liu2018", "rebalanced"], "The style term's weight: liu2018 (120, about "
                      "90% of the generator's loss here) or rebalanced (3, level with the L1 term).")
    flags.DEFINE_integer("patience", 5, "Validations without a lower hole L1 before training stops.", lower_bound=1)
    flags.DEFINE_string("data_dir", None, "Generated training faces (default: checkpoints/inpainting/data).")
    flags.DEFINE_string("out_dir", None, "Trained network (default: checkpoints/inpainting/<variant>_<size>[_<style>]).")
    flags.DEFINE_string("report_dir", "experiments/inpainting/training_runs", "Where each run's training curve "
                        "(losses and validation, CSV and PNG) is written, for git.")
    flags.DEFINE_enum("variant", "full", ["full", "no_region_norm", "global_style"], "The network or an ablation.")
    flags.DEFINE_integer("inpaint_size", 256, "Training resolution (the patent's 256; 128 on a tight CPU budget).")
    flags.DEFINE_float("inpaint_width", 1.0, "Channel multiplier of both networks (1: the patent's widths).")
    flags.DEFINE_integer("train_steps", 20000, "Most training steps, if validation has not stopped it first (a "
                         "resumed run goes on to this).", lower_bound=1)
    flags.DEFINE_integer("train_batch", 4, "Faces per step.", lower_bound=1)
    flags.DEFINE_integer("checkpoint_every", 200, "Steps between checkpoints and validations.", lower_bound=1)


def define_inpainting_test_set_flags():
    """The inpainting test set's draw, which training must stay out of."""
    flags.DEFINE_integer("inpaint_test_faces", 200, "LFW test faces (one per identity).", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of the test identities and their masks.")


def define_guided_inpainting_flags():
    """`python -m tf_reconstruct.studies.guided_inpainting`: fills guided by the person's template (issue 36)."""
    define_inpainting_eval_flags()
    flags.DEFINE_enum("guided_split", "test", ["test", "dev"], "test: the inpainting test set's LFW faces whose "
                      "identity has >= 2 photos; dev: other LFW identities, where the guided identity weight is chosen.")
    flags.DEFINE_integer("guided_dev_faces", 24, "Faces of the dev split.", lower_bound=3)
    flags.DEFINE_list("guided_weights", ["0.3", "1", "3"], "With --guided_split=dev: the guided fill's identity "
                      "weights to compare.")
    flags.DEFINE_integer("guided_steps", 200, "Adam steps of the guided inversion.", lower_bound=1)
    flags.DEFINE_integer("unguided_steps", 100, "Adam steps of the unguided inversion it is compared with.",
                         lower_bound=1)


def define_inpainting_eval_flags():
    """`python -m tf_reconstruct.studies.inpainting_eval`: every inpainting method on the fixed test set."""
    define_checkpoint_flags()
    flags.DEFINE_string("data_dir", "../shared/data/lfw", "LFW folder.")
    flags.DEFINE_string("ffhq_dir", "../shared/data/ffhq_samples", "FFHQ samples folder.")
    define_inpainting_test_set_flags()
    flags.DEFINE_integer("inpaint_ffhq_faces", 10, "FFHQ test faces (the samples, in name order).", lower_bound=0)
    flags.DEFINE_integer("inpaint_invert_steps", 100, "Adam steps of the masked inversion of a method without a "
                         "step suffix (inversion_200steps names its own).", lower_bound=1)
    flags.DEFINE_string("baselines_dir", None, "Where the latent bank and the Mapping (the inversion's starts) are "
                        "(default: checkpoints/baselines/mobilefacenet192, made by train_baselines).")
    flags.DEFINE_list("inpaint_methods", [], "Methods to run (default: telea, ns, inversion, inversion_mapping when "
                      "a Mapping is trained, their blends, and every trained patent network); an inversion may name "
                      "its budget, as inversion_mapping_200steps_poisson.")
    flags.DEFINE_string("inpaint_out", "experiments/inpainting", "Output folder (its cache/ resumes the study).")
