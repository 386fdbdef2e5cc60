"""`python -m tf_reconstruct.inpaint --image=face.jpg --mask=hole.png [--template=T.npy|other_photo.jpg]
[--method=inversion|patent|telea|ns] [--blend=paste|feather|poisson]`

Fills the hole of one face photo and writes <stem>.png (the filled photo), <stem>_side_by_side.png (holed
input, filled) and <stem>.json (how it was made: method, settings, start, template and where it came from,
every model the fill touched). The inversion starts from the latent bank's w for the holed face's template,
or with --invert_start=mapping from the trained Mapping's (both made by train_baselines). With --template
(the attacker's template of the same person, from a database, or another photo of them) the fill is
guided: the whole face is held to that template (inpainting/inversion_fill). Every input is checked before
a generator loads and nothing is written before the fill is done: a bad one ends with one line naming it
and the fix, and exit status 2.
"""

import json
import pathlib

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import atomic_files, cli, flags as project_flags
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.inpainting import classical, inputs
from tf_reconstruct.plots.image_grid import save_png

FLAGS = flags.FLAGS


def _checked_inputs():
    """(image, hole, landmarks or None, (extractor, template, its source) or None): all refused early."""
    image, hole = inputs.read_pair(FLAGS.image, FLAGS.mask)
    if FLAGS.method in classical.METHODS:
        if FLAGS.template:
            raise inputs.InpaintInputError(f"--template guides --method=inversion only, not {FLAGS.method}")
        return image, hole, None, None
    landmarks = inputs.face_landmarks(image, hole, f"--image={FLAGS.image}")
    guide = None
    if FLAGS.method == "inversion":
        from tf_reconstruct.models import registry
        extractor = registry.get_attack_extractor(FLAGS.extractor, None, FLAGS.checkpoint_dir)
        template, source = inputs.read_template(FLAGS.template, extractor) if FLAGS.template else (None, None)
        guide = (extractor, template, source)
    elif FLAGS.template:
        raise inputs.InpaintInputError("--template guides --method=inversion only, not patent")
    return image, hole, landmarks, guide


def _fill(image, hole, landmarks, guide):
    """(filled image, record of how it was made)."""
    record = {"method": FLAGS.method, "image": FLAGS.image, "mask": FLAGS.mask,
              "hole_ratio": round(float(hole.mean()), 4)}
    if FLAGS.method in classical.METHODS:
        return classical.fill(image, hole, FLAGS.method), {**record, "models_touched": []}
    from tf_reconstruct.models import registry
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    if FLAGS.method == "patent":
        from tf_reconstruct.inpainting import parsing, patent_fill, trainer
        from tf_reconstruct.inpainting.paths import trained_network_dir
        folder = trained_network_dir(FLAGS.network_dir, "full", FLAGS.checkpoint_dir)
        network, settings = trainer.load_generator(folder)
        filled = patent_fill.fill(image, hole, network, settings.size, generator,
                                  parsing.Parser.load(FLAGS.checkpoint_dir), FLAGS.image)
        return filled, {**record, "network": str(folder), "models_touched": ["patent network", "dlib landmarks",
                                                                             "mediapipe selfie", "mtcnn"]}
    from tf_reconstruct.inpainting import inversion_fill
    extractor, template, source = guide
    bank = baselines_dir(FLAGS.baselines_dir, extractor.name, FLAGS.checkpoint_dir)
    filled, fit = inversion_fill.fill(image, hole, generator, extractor, bank, FLAGS.invert_steps, FLAGS.image,
                                      FLAGS.invert_start, template, FLAGS.identity_weight, FLAGS.blend, landmarks)
    weight = inversion_fill.chosen_weight(template is not None, FLAGS.identity_weight)
    return filled, {**record, "guided": template is not None, "template": FLAGS.template, "template_source": source,
                    "blend": FLAGS.blend, "steps": FLAGS.invert_steps, "start": FLAGS.invert_start,
                    "baselines_dir": str(bank), "identity_weight": weight, "learning_rate": 0.05,
                    "attacker_cosine_to_template" if template is not None else "attacker_cosine_to_holed_face":
                        round(fit.cosine, 4), "psnr_known_db": round(fit.psnr, 2),
                    "models_touched": ["mobilestylegan", extractor.name, "mtcnn"]}


def main(argv):
    del argv
    image, hole, landmarks, guide = _checked_inputs()
    filled, record = _fill(image, hole, landmarks, guide)
    stem = pathlib.Path(FLAGS.out or pathlib.Path(FLAGS.image).with_name(
        f"{pathlib.Path(FLAGS.image).stem}_{FLAGS.method}"))
    holed = image.copy()
    holed[hole > 0] = 255
    save_png(filled, stem.with_name(stem.name + ".png"))
    save_png(np.concatenate([holed, filled], axis=1), stem.with_name(stem.name + "_side_by_side.png"))
    atomic_files.write_text(stem.with_name(stem.name + ".json"), json.dumps(record, indent=1) + "\n")
    logging.info("filled %d hole pixels (%.1f%%) with %s%s -> %s.png", int(hole.sum()), 100 * hole.mean(),
                 FLAGS.method, ", guided by a template" if record.get("guided") else "", stem)


if __name__ == "__main__":
    project_flags.define_inpaint_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
