"""`python -m tf_reconstruct.edit --latents=<run folder or .npy> --attribute=smile --strengths=-3,0,3`

Edits reconstructed (or, with --photo, inverted real) faces along InterfaceGAN boundaries, or with
--normalize makes them frontal and neutral. Writes into --out: images/<name>_<attribute>_<strength>.png,
grid_<attribute>.png (a row per face, a column per strength), edits_<attribute>.csv/.md (every attribute
as the classifiers read each result, and the identity cosine to the unedited face), records/ (resume).
The boundaries come from `python -m tf_reconstruct.train_boundaries`.
"""

import json
import pathlib

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import atomic_files, cli, flags as project_flags, interrupts
from tf_reconstruct.attributes import classifiers as attribute_classifiers
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.editing import boundaries, directions, edit_run, latents as latent_files, normalize, paths
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import photo_inversion as invert

FLAGS = flags.FLAGS


def _strengths():
    try:
        return [float(value) for value in FLAGS.strengths]
    except ValueError as error:
        raise app.UsageError(f"--strengths must be numbers, e.g. -3,-1.5,0,1.5,3 ({error})") from error


def _needed_attributes():
    if FLAGS.normalize:
        return list(normalize.DEFAULT_TARGETS)
    if not FLAGS.attribute:
        raise app.UsageError("give --attribute (e.g. smile) or --normalize")
    return [FLAGS.attribute, *FLAGS.condition]


def _load_boundaries(folder, wanted):
    available = sorted(path.stem for path in pathlib.Path(folder).glob("*.npy")) if pathlib.Path(folder).is_dir() else []
    unknown = [attribute for attribute in wanted if attribute not in attribute_classifiers.ATTRIBUTES]
    if unknown:
        raise app.UsageError(f"unknown attribute(s) {', '.join(unknown)}; valid: "
                             f"{', '.join(available or attribute_classifiers.ATTRIBUTES)}")
    return {attribute: boundaries.load(folder, attribute) for attribute in wanted}


def _photo_latents(generator, out):
    """Inverts --photo (resumable: a finished inversion is reused) -> [(name, w+)]."""
    import cv2
    photo_path = pathlib.Path(FLAGS.photo)
    image = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
    if image is None:
        raise app.UsageError(f"--photo={photo_path} is not a readable image: give a JPEG or PNG of a face")
    name = photo_path.stem
    saved = out / "latents" / f"{name}_inverted_wplus.npy"
    if saved.is_file():
        return [(name, np.load(saved))]
    extractor = registry.get_attack_extractor(FLAGS.extractor, None, FLAGS.checkpoint_dir)
    bank = baselines_dir(FLAGS.baselines_dir, extractor.name, FLAGS.checkpoint_dir)
    result, face_psnr = invert.invert_photo(generator, extractor, cv2.cvtColor(image, cv2.COLOR_BGR2RGB), name, bank,
                                            FLAGS.invert_steps)
    logging.info("inverted %s: PSNR %.2f dB on the face region, attacker cosine %.3f", name, face_psnr, result.cosine)
    atomic_files.write_text(out / "inversion.json", json.dumps(
        {"photo": str(photo_path), "psnr_face_db": face_psnr, "psnr_frame_db": result.psnr, "cosine": result.cosine,
         "steps": FLAGS.invert_steps,
         "extractor": extractor.name, "final_loss": result.losses[-1]}, indent=1))
    with atomic_files.replacing(saved) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, result.w_plus)
    return [(name, result.w_plus)]


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    if bool(FLAGS.latents) == bool(FLAGS.photo):
        raise app.UsageError("give exactly one of --latents (a .npy of w+ or a run folder) and --photo")
    strengths = _strengths()
    generator = registry.get_generator(FLAGS.generator, FLAGS.checkpoint_dir, FLAGS.generator_weights)
    rows = directions.layer_rows(generator.name, generator.num_ws, FLAGS.layers)
    folder = paths.boundaries_dir(FLAGS.boundaries_dir, generator.name, FLAGS.checkpoint_dir)
    found = _load_boundaries(folder, _needed_attributes())
    name = pathlib.Path(FLAGS.latents or FLAGS.photo).stem
    out = pathlib.Path(FLAGS.out or f"experiments/editing/cli/{name}")
    # Inputs are checked before the (slow) inversion or rendering starts.
    latents = latent_files.load_latents(FLAGS.latents, generator.num_ws) if FLAGS.latents else None
    loaded = [attribute_classifiers.load(name, FLAGS.checkpoint_dir) for name in attribute_classifiers.CLASSIFIERS]
    identity = None
    if FLAGS.identity_model != "none":
        identity = registry.get_extractor(FLAGS.identity_model, None, FLAGS.checkpoint_dir)
    models = edit_run.EditModels(generator, found, loaded, identity, FLAGS.edit_resolution)
    if latents is None:
        latents = _photo_latents(generator, out)
    if FLAGS.normalize:
        table = edit_run.normalize_latents(models, latents, out, FLAGS.normalize_iterations, rows)
    else:
        table = edit_run.edit_latents(models, latents, FLAGS.attribute, strengths, FLAGS.condition, rows, out)
    logging.info("%d results in %s", len(table), out)


if __name__ == "__main__":
    project_flags.define_edit_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
