"""`python -m tf_reconstruct.studies.guided_inpainting [--guided_split=test|dev]`: filling a hole with the
person's stored template as a guide (issue 36), against the unguided fills, on real faces.

The attacker holds an occluded photo of a person and that person's template from another photo (a leaked
database entry): MobileFaceNet-192, the attacker, makes the template and is the only model in the fill's
loss. MobileFaceNet-512 and dlib judge the filled face against the unoccluded original and never enter a
loss or a choice.

- test: the inpainting test set's LFW faces (experiments/inpainting/test_set, the same fixed holes) whose
  identity has >= 2 photos; the template comes from the identity's next photo in name order (the test face
  is its first), or the one after when MTCNN misses it.
- dev: --guided_dev_faces other LFW identities with >= 2 photos, none in the test set, with holes drawn the
  same way from another seed: where the guided fill's identity weight (--guided_weights) is chosen, so the
  judges never tune it on the faces they score.

Per face: Telea; the unguided masked inversion (bank start from the holed face's template, its identity
weight 0.1, --unguided_steps); the guided one (bank start from the template, identity held on the
composite, --guided_steps, each weight); each inversion composited by paste, feather and Poisson
(inpainting/compositing). Per method and hole-ratio bin: hole PSNR, the judges' similarity to the original,
the seam (mean step across the hole border, minus the original's own there) and the attacker's cosine of the
filled face to the template (the attacker's own measure, not a judge). The inversions' generated faces are
cached with what made them, so the study resumes and a blend costs nothing.
"""

import json
import pathlib

import numpy as np
from absl import app, flags, logging
from tqdm import tqdm

from tf_reconstruct import atomic_files, cli, flags as project_flags, interrupts
from tf_reconstruct.align import photo_align
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.datasets import lfw, selection
from tf_reconstruct.editing import render
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.inpainting import classical, compositing, inversion_fill, masks, real_faces
from tf_reconstruct.metrics import inpainting as measures, verification
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import photo_inversion
from tf_reconstruct.plots.image_grid import make_grid, save_png
from tf_reconstruct.studies import inpainting_eval

FLAGS = flags.FLAGS
SIZE = inpainting_eval.SIZE
BATCH = 8
DEV_SEED_OFFSET = 1000   # the dev set's identities and holes come from seed + this


def identity_of(name):
    """'lfw/George_W_Bush' -> 'George_W_Bush'."""
    return name.split("/", 1)[1]


def template_photo_candidates(images, used):
    """The identity's photos other than `used`, in name order: where a guiding template may come from."""
    return [image for image in sorted(images) if image != used]


def _templates(dataset, pairs, extractor, cache):
    """{face name: (template [D], the photo it came from)} for (face name, test photo id) pairs: the attacker's
    template of the identity's next photo that MTCNN finds a face in (cached)."""
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if all(name in saved for name, _ in pairs):
            return {name: (np.asarray(saved[name]["template"], np.float32), saved[name]["photo"]) for name, _ in pairs}
    found = {}
    for name, used in tqdm(pairs, desc="guiding templates", unit="face"):
        for candidate in template_photo_candidates(dataset.images_by_identity[identity_of(name)], used):
            try:
                face = photo_align.align_photo(dataset.read([candidate])[candidate], candidate)
            except photo_align.NoFaceFoundError:
                continue
            found[name] = (extractor(face[None]).numpy()[0], candidate)
            break
        else:
            logging.warning("%s: MTCNN found no face in the identity's other photos; left out", name)
    atomic_files.write_text(cache, json.dumps({name: {"template": template.tolist(), "photo": photo}
                                               for name, (template, photo) in found.items()}))
    return found


def test_split(generator, dataset, out):
    """(names, faces, holes, bins, test photo ids) of the inpainting test set's LFW faces with >= 2 photos."""
    names, faces, holes, bins = inpainting_eval.test_set(generator, out)
    chosen = [index for index, name in enumerate(names) if name.startswith("lfw/")
              and len(dataset.images_by_identity.get(identity_of(name), ())) >= 2]
    used = [sorted(dataset.images_by_identity[identity_of(names[i])])[0] for i in chosen]
    return [names[i] for i in chosen], faces[chosen], holes[chosen], bins[chosen], used


def dev_split(generator, dataset, test_identities, count, seed, cache):
    """(names, faces, holes, bins, photo ids) of `count` LFW identities with >= 2 photos outside the test set,
    each's first photo in the generator frame with a hole drawn as the test set's are (from seed + offset)."""
    if cache.is_file():
        with np.load(cache) as saved:
            if len(saved["names"]) == count:
                return (saved["names"].tolist(), saved["faces"], saved["holes"], saved["bins"],
                        saved["used"].tolist())
    pool = selection.select_identities(dataset.images_by_identity, count * 2, seed + DEV_SEED_OFFSET, min_images=2)
    names, faces, used = [], [], []
    for identity in (i for i in pool if i not in test_identities):
        photo_id = sorted(dataset.images_by_identity[identity])[0]
        try:
            framed, _ = photo_inversion.align_to_generator_frame(dataset.read([photo_id])[photo_id], photo_id,
                                                                 generator, SIZE)
        except photo_align.NoFaceFoundError:
            continue
        names.append(f"lfw/{identity}")
        faces.append(framed)
        used.append(photo_id)
        if len(names) == count:
            break
    bins = np.arange(len(names)) % len(masks.BINS)
    holes = np.stack([masks.mask_in_bin(SIZE, (seed + DEV_SEED_OFFSET) * 100003 + index, *masks.BINS[bins[index]],
                                        kind="free_form" if index % 2 == 0 else "boxes")[0]
                      for index in range(len(names))]).astype(np.uint8)
    faces = np.stack(faces)
    with atomic_files.replacing(cache) as temporary:
        np.savez_compressed(temporary, names=np.array(names), faces=faces, holes=holes, bins=bins, used=np.array(used))
    return names, faces, holes, bins, used


def inversion_fits(config, faces, holes, templates, models, cache):
    """Generated faces [N, 256, 256, 3] of one inversion `config` {'guided', 'steps', 'weight'}, cached by what
    made them; resumes batch by batch."""
    made_by = json.dumps(config, sort_keys=True)
    done = inpainting_eval.cached_fills(cache, made_by)
    names = [str(index) for index in range(len(faces))]
    todo = [index for index, name in enumerate(names) if name not in done]
    generator, attacker, priors = models["generator"], models["attacker"], models["priors"]
    loaded = models.setdefault("loaded_priors", {})   # the bank, loaded once for every batch
    for start in tqdm(range(0, len(todo), BATCH), desc=cache.stem, unit="batch"):
        batch = todo[start:start + BATCH]
        known = np.stack([1 - holes[i] for i in batch]).astype(np.float32)
        holed = (faces[batch] * known[..., None]).astype(np.uint8)
        if config["guided"]:
            chosen = templates[batch]
            starts = photo_inversion.starts_for_templates(generator, attacker.name, chosen, priors, "bank", loaded)
        else:
            chosen = None
            starts = photo_inversion.template_starts(generator, attacker, holed, priors, "bank", loaded)
        fits = photo_inversion.invert_framed(generator, attacker, holed, starts, steps=config["steps"], known=known,
                                             identity_weight=config["weight"], template=chosen)
        done.update({names[i]: fit.face for i, fit in zip(batch, fits)})
        inpainting_eval.save_fills(cache, done, made_by)
    return np.stack([done[name] for name in names])


def configs(weights):
    """{label: inversion config}: the unguided inversion, and the guided one at each identity weight."""
    chosen = {f"unguided inversion, {FLAGS.unguided_steps} steps":
              {"guided": False, "steps": FLAGS.unguided_steps, "weight": photo_inversion.IDENTITY_WEIGHT}}
    for weight in weights:
        chosen[f"guided inversion, {FLAGS.guided_steps} steps, identity weight {weight:g}"] = {
            "guided": True, "steps": FLAGS.guided_steps, "weight": float(weight)}
    return chosen


def attacker_cosines(attacker, filled, templates):
    """[N] the attacker's cosine of each MTCNN-aligned filled face to its guiding template (NaN: no face)."""
    embedded = render.embed(filled, {"attacker": attacker})["attacker"]
    norms = np.linalg.norm(embedded, axis=1) * np.linalg.norm(templates, axis=1)
    return np.sum(embedded * templates, axis=1) / norms


def scored_rows(method, blend, filled, faces, holes, bins, judges, originals, attacker_cosine):
    """Rows of one method and blend, per hole-ratio bin and over all faces."""
    embedded = render.embed(filled, judges)
    per_face = {"PSNR hole dB": [measures.psnr(filled[i], faces[i], holes[i]) for i in range(len(faces))],
                "seam excess": [measures.seam_jump(filled[i], holes[i]) - measures.seam_jump(faces[i], holes[i])
                                for i in range(len(faces))]}
    for name, judge in judges.items():
        rows_fn, _ = verification.similarity_functions(judge.similarity)
        label = "dlib distance" if judge.similarity == "negative_euclidean" else "MobileFaceNet-512 cosine"
        sign = -1.0 if judge.similarity == "negative_euclidean" else 1.0
        per_face[label] = [sign * float(rows_fn(embedded[name][i][None], originals[name][i][None])[0])
                           for i in range(len(faces))]
    per_face["attacker cosine to template"] = attacker_cosine
    rows = []
    for bin_index, bin_name in enumerate((*inpainting_eval.BIN_NAMES, "all")):
        chosen = np.ones(len(bins), bool) if bin_name == "all" else bins == bin_index
        row = {"method": method, "blend": blend, "hole ratio": bin_name, "faces": int(chosen.sum())}
        row["faces MTCNN found"] = int(np.sum(np.isfinite(np.asarray(per_face["MobileFaceNet-512 cosine"])[chosen])))
        for measure, values in per_face.items():
            kept = np.asarray(values, np.float64)[chosen]
            kept = kept[np.isfinite(kept)]   # a face MTCNN does not find has no similarity: counted apart
            row[measure] = float(kept.mean()) if len(kept) else np.nan
        rows.append(row)
    return rows


def _split(generator, dataset, out):
    """The chosen split's (names, faces, holes, bins, photo ids) and its output folder."""
    if FLAGS.guided_split == "test":
        return (*test_split(generator, dataset, out), out / "guided")
    test_identities = set(real_faces.test_identities(dataset.images_by_identity, FLAGS.inpaint_test_faces, FLAGS.seed))
    folder = out / "guided_dev"
    return (*dev_split(generator, dataset, test_identities, FLAGS.guided_dev_faces, FLAGS.seed,
                       folder / "cache" / "dev_faces.npz"), folder)


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    out = pathlib.Path(FLAGS.inpaint_out)
    dataset = lfw.load_lfw(FLAGS.data_dir)
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    attacker = registry.get_attack_extractor(inpainting_eval.ATTACKER, None, FLAGS.checkpoint_dir)
    names, faces, holes, bins, used, folder = _split(generator, dataset, out)
    guides = _templates(dataset, list(zip(names, used)), attacker, folder / "cache" / "templates.json")
    keep = [index for index, name in enumerate(names) if name in guides]
    names, faces, holes, bins = [names[i] for i in keep], faces[keep], holes[keep], bins[keep]
    templates = np.stack([guides[name][0] for name in names])
    logging.info("%s split: %d faces (%s per bin)", FLAGS.guided_split, len(names), np.bincount(bins, minlength=3))
    models = {"generator": generator, "attacker": attacker,
              "priors": baselines_dir(FLAGS.baselines_dir, attacker.name, FLAGS.checkpoint_dir)}
    weights = ([float(weight) for weight in FLAGS.guided_weights] if FLAGS.guided_split == "dev"
               else [inversion_fill.GUIDED_IDENTITY_WEIGHT])
    fits = {label: inversion_fits(config, faces, holes, templates, models, folder / "cache" / (
        f"fits_{'guided' if config['guided'] else 'unguided'}_{config['steps']}_{config['weight']:g}.npz"))
            for label, config in configs(weights).items()}
    judges = {name: registry.get_extractor(name, None, FLAGS.checkpoint_dir) for name in inpainting_eval.JUDGES}
    originals = render.embed(faces, judges)
    telea = np.stack([classical.fill(faces[i] * (1 - holes[i][..., None]), holes[i]) for i in range(len(faces))])
    filled = {("telea", "-"): telea}
    for label, generated in fits.items():
        for blend in compositing.BLENDS:
            filled[(label, blend)] = np.stack([compositing.composite(generated[i], faces[i], holes[i], blend)
                                               for i in range(len(faces))])
    rows = []
    for (method, blend), images in tqdm(filled.items(), desc="scoring", unit="method"):
        rows += scored_rows(method, blend, images, faces, holes, bins, judges, originals,
                            attacker_cosines(attacker, images, templates))
    _write(folder, rows, names, guides, len(faces))
    if FLAGS.guided_split == "test":
        _figures(folder, names, faces, holes, filled, fits)


def _write(folder, rows, names, guides, count):
    heading = (f"Guided inpainting, {FLAGS.guided_split} split: {count} LFW faces in the generator frame (256 px), one "
               f"fixed hole each, the template from another photo of the same person (faces.json names it). The "
               f"attacker (MobileFaceNet-192) made the templates and is the only model in any loss; MobileFaceNet-512 "
               f"and dlib judge each filled face against the unoccluded one (cosine: higher is closer; dlib "
               f"distance: lower, a match below 0.6). Seam excess: the mean step across the hole's border (grey "
               f"levels) minus the original's over the same border. `python -m tf_reconstruct.studies."
               f"guided_inpainting --guided_split={FLAGS.guided_split}`")
    report_files.write_table(folder / "results", rows, heading)
    atomic_files.write_text(folder / "faces.json", json.dumps(
        [{"face": name, "template_from": guides[name][1]} for name in names], indent=1))


def _figures(folder, names, faces, holes, filled, fits):
    """figure.png: 8 faces (masked, Telea, unguided and guided, Poisson-blended, original); seams.png: 2 faces at
    full size, the guided fill pasted and Poisson-blended."""
    unguided, guided = [label for label in fits if label.startswith("unguided")][0], list(fits)[-1]
    columns = [("telea", "-"), (unguided, "poisson"), (guided, "poisson")]
    inpainting_eval.comparison_figure(faces, holes, [filled[key] for key in columns], folder / "figure.png")
    largest = np.argsort([-hole.mean() for hole in holes])[:2]
    seams = [image for index in largest for image in (filled[(guided, "paste")][index],
                                                      filled[(guided, "poisson")][index], faces[index])]
    save_png(make_grid(np.stack(seams), 3, SIZE), folder / "seams.png")
    atomic_files.write_text(folder / "figure.txt", (
        "figure.png columns: masked, Telea, " + f"{unguided} (poisson), {guided} (poisson), original\n" +
        "\n".join(names[:8]) + "\n\nseams.png, full size: pasted, Poisson-blended, original\n" +
        "\n".join(names[i] for i in largest) + "\n"))


if __name__ == "__main__":
    project_flags.define_guided_inpainting_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
