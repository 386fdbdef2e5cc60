"""Every command-line flag, defined once here. Only entry points (`__main__` modules) read FLAGS;
library code takes plain arguments."""

from absl import flags


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
