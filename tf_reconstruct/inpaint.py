"""`python -m tf_reconstruct.inpaint --image=face.jpg --mask=hole.png --method=inversion|patent|telea|ns`

Fills the hole of one face photo and writes <stem>.png (the filled photo) and <stem>_side_by_side.png
(holed input, filled). The inversion starts from the latent bank's w for the holed face's template, or
with --invert_start=mapping from the trained Mapping's (both made by train_baselines). The inputs are
checked before any model loads: the mask must be the image's size and hold some hole but not only hole.
"""

import pathlib

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.inpainting import classical, inputs
from tf_reconstruct.plots.image_grid import save_png

FLAGS = flags.FLAGS


def main(argv):
    del argv
    image, hole = inputs.read_pair(FLAGS.image, FLAGS.mask)
    if FLAGS.method in classical.METHODS:
        filled = classical.fill(image, hole, FLAGS.method)
    elif FLAGS.method == "patent":
        from tf_reconstruct.inpainting import parsing, patent_fill, trainer
        from tf_reconstruct.inpainting.paths import trained_network_dir
        from tf_reconstruct.models import registry
        network, settings = trainer.load_generator(trained_network_dir(FLAGS.network_dir, "full", FLAGS.checkpoint_dir))
        generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
        filled = patent_fill.fill(image, hole, network, settings.size, generator,
                                  parsing.Parser.load(FLAGS.checkpoint_dir), FLAGS.image)
    else:
        from tf_reconstruct.inpainting import inversion_fill
        from tf_reconstruct.models import registry
        generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
        extractor = registry.get_attack_extractor(FLAGS.extractor, None, FLAGS.checkpoint_dir)
        bank = baselines_dir(FLAGS.baselines_dir, extractor.name, FLAGS.checkpoint_dir)
        filled = inversion_fill.fill(image, hole, generator, extractor, bank, FLAGS.invert_steps, FLAGS.image,
                                     FLAGS.invert_start)
    stem = pathlib.Path(FLAGS.out or pathlib.Path(FLAGS.image).with_name(
        f"{pathlib.Path(FLAGS.image).stem}_{FLAGS.method}"))
    holed = image.copy()
    holed[hole > 0] = 255
    save_png(filled, stem.with_name(stem.name + ".png"))
    save_png(np.concatenate([holed, filled], axis=1), stem.with_name(stem.name + "_side_by_side.png"))
    logging.info("filled %d hole pixels (%.1f%%) with %s -> %s.png", int(hole.sum()), 100 * hole.mean(), FLAGS.method,
                 stem)


if __name__ == "__main__":
    project_flags.define_inpaint_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
