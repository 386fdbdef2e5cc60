"""`python -m tf_reconstruct.sample_faces`: a grid of faces from random z, rendered at full resolution."""

import time

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.align.photo_align import signed_to_uint8
from tf_reconstruct.models import registry
from tf_reconstruct.plots.image_grid import make_grid, save_png

FLAGS = flags.FLAGS


def sample_faces(generator, num_faces, seed=0, truncation=1.0):
    """Renders `num_faces` faces from z ~ N(0, I): -> uint8 [N, R, R, 3]."""
    z = np.random.default_rng(seed).standard_normal((num_faces, 512)).astype(np.float32)
    w = generator.mapping(z).numpy()
    w = generator.w_avg + (w - generator.w_avg) * truncation
    synthesis = generator.synthesis()
    faces = []
    for index in range(num_faces):
        w_plus = np.repeat(w[index:index + 1, None], generator.num_ws, axis=1).astype(np.float32)
        faces.append(signed_to_uint8(synthesis(w_plus).numpy()[0]))
        logging.info("Rendered face %d/%d", index + 1, num_faces)
    return np.stack(faces)


def main(argv):
    del argv
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir)
    start = time.time()
    faces = sample_faces(generator, FLAGS.num_faces, FLAGS.seed, FLAGS.truncation)
    save_png(make_grid(faces, min(4, FLAGS.num_faces), FLAGS.tile_size), FLAGS.out)
    logging.info("Wrote %s (%d faces at %d px in %.1f s)", FLAGS.out, len(faces), generator.resolution,
                 time.time() - start)


if __name__ == "__main__":
    project_flags.define_sample_flags()
    flags.adopt_module_key_flags(project_flags)  # so --helpshort lists them
    app.run(cli.clean_errors(main))
