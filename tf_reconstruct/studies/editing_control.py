"""`python -m tf_reconstruct.studies.editing_control`: how well the edits and the normalisation are controlled.

Faces: the first --study_faces reconstructions of the LFW run --study_run (in its selection's order), the
reconstructions of the FFHQ run --study_ffhq_run, and --study_photos real photos of each (LFW source photos
of that run, FFHQ samples) inverted into W+ (optimize/photo_inversion.py). Each face is edited along every boundary
at --study_strengths, plainly and conditioned on the two other attributes whose normals are most
correlated with it; every result is rendered at --study_resolution, read by the attribute classifiers,
MTCNN-aligned and embedded by the identity judges (MobileFaceNet-512, dlib). Writes to --study_out:

  edit_control.md/.csv    per attribute and mode: Spearman of the target score against strength, leakage
                          into the other attributes (mean |change| from -max to +max strength, in units of
                          each attribute's spread over the labelled samples), identity cosine to the
                          unedited face and type II TAR against the person's real photos at FAR 0.1%
                          (the run's own thresholds) at strengths +-1 and +-2
  normalization.md/.csv   the LFW reconstructions before and after --normalize: pose, neutral rate, type II TAR
  inversions.md/.csv      PSNR and identity cosine of each inverted photo
  grid_<face>.png         rows: attributes; columns: strengths (conditional edits)
  grid_normalized.png     source photo, reconstruction, normalised
Per-face results are cached (cache/), so the study resumes.
"""

import json
import pathlib

import cv2
import numpy as np
from absl import app, flags, logging
from tqdm import tqdm

from tf_reconstruct import atomic_files, cli, flags as project_flags, interrupts
from tf_reconstruct.align import photo_align
from tf_reconstruct.attributes import classifiers as attribute_classifiers
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.datasets import ffhq, lfw
from tf_reconstruct.editing import boundaries as boundary_files, directions, normalize, paths, render
from tf_reconstruct.evaluation import borrowed_thresholds, report_files
from tf_reconstruct.metrics import editing as measures, verification
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import photo_inversion as invert
from tf_reconstruct.plots.image_grid import make_grid, save_png

FLAGS = flags.FLAGS
JUDGES = ("mobilefacenet512", "dlib_resnet128")
MODES = ("plain", "conditional")
PARTNERS = {"smile": "neutral", "neutral": "smile"}   # two readings of one classifier: never each other's condition
THUMB = 128


def _mean(values):
    """Mean of the finite values, NaN (silently) when there are none."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def conditions_for(attribute, found):
    """The two other attributes whose normals are most correlated with `attribute`'s (|cosine|)."""
    others = [other for other in found if other not in (attribute, PARTNERS.get(attribute))]
    others.sort(key=lambda other: -abs(float(found[attribute].normal @ found[other].normal)))
    return others[:2]


class Scorer:
    """Renders w+ and reads each face: attribute values [K, A] and each judge's embeddings [K, D] (NaN: no face)."""

    def __init__(self, generator, classifiers, judges, resolution):
        self.generator, self.classifiers, self.judges, self.resolution = generator, classifiers, judges, resolution
        self.attributes = [attribute for classifier in classifiers for attribute in classifier.attributes]

    def __call__(self, w_plus, thumbnails=False):
        images = render.render(self.generator, w_plus, self.resolution)
        values = render.measure(images, self.classifiers)
        table = np.array([[value[attribute] for attribute in self.attributes] for value in values], np.float32)
        embeddings = render.embed(images, self.judges)
        small = np.stack([cv2.resize(image, (THUMB, THUMB), interpolation=cv2.INTER_AREA) for image in images]) \
            if thumbnails else None
        return table, embeddings, small


def edit_plan(found, strengths):
    """[(attribute, mode, strength)] of one face's edits, the unedited face first."""
    plan = [("none", "none", 0.0)]
    for attribute in found:
        for mode in MODES:
            plan.extend((attribute, mode, strength) for strength in strengths if strength != 0)
    return plan


def edit_face(scorer, w_plus, found, strengths, rows, cache_file, thumbnails):
    """Every edit of one face, scored (cached in `cache_file`)."""
    if cache_file.is_file():
        with np.load(cache_file, allow_pickle=False) as cached:
            return {key: cached[key] for key in cached.files}
    plan = edit_plan(found, strengths)
    latents = [w_plus]
    for attribute, mode, strength in plan[1:]:
        normal = found[attribute].normal if mode == "plain" else directions.conditioned(
            found[attribute].normal, [found[other].normal for other in conditions_for(attribute, found)])
        latents.append(directions.edit(w_plus, normal, [strength], rows)[0])
    table, embeddings, small = scorer(np.stack(latents), thumbnails)
    result = {"plan": np.array([f"{a}|{m}|{s:g}" for a, m, s in plan]), "values": table,
              "attributes": np.array(scorer.attributes),
              **{f"embedding_{name}": vectors for name, vectors in embeddings.items()}}
    if small is not None:
        result["thumbnails"] = small
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    with atomic_files.replacing(cache_file) as temporary:
        np.savez_compressed(temporary, **result)
    return result


def _similarities(judge, embedding, photos):
    """The judge's similarity of one face's embedding [D] to each photo [M, D]; NaN (rejected) without a face."""
    if not np.all(np.isfinite(embedding)):
        return np.full(len(photos), np.nan)
    rows_fn, _ = verification.similarity_functions(judge.similarity)
    return rows_fn(np.repeat(embedding[None], len(photos), axis=0), photos)


def control_rows(results, found, strengths, judges, thresholds, photo_embeddings):
    """The edit-control table over faces: one row per attribute and mode."""
    biggest = max(abs(strength) for strength in strengths)
    rows = []
    for attribute in found:
        for mode in MODES:
            spearmen, leaks, kept, accepted = [], {}, {}, {}
            for face, result in results.items():
                plan = [entry.split("|") for entry in result["plan"].tolist()]
                names = result["attributes"].tolist()
                picked = [0] + [i for i, (a, m, _) in enumerate(plan) if a == attribute and m == mode]
                strength_of = {i: (0.0 if i == 0 else float(plan[i][2])) for i in picked}
                target = result["values"][picked, names.index(attribute)]
                spearmen.append(measures.spearman([strength_of[i] for i in picked], target))
                low = next(i for i in picked if strength_of[i] == -biggest)
                high = next(i for i in picked if strength_of[i] == biggest)
                for other in found:
                    if other != attribute:
                        leaks.setdefault(other, []).append(
                            (result["values"][low, names.index(other)], result["values"][high, names.index(other)]))
                for name, judge in judges.items():
                    embeddings = result[f"embedding_{name}"]
                    if face in photo_embeddings.get(name, {}):
                        accepted.setdefault((name, 0.0), []).extend(
                            _similarities(judge, embeddings[0], photo_embeddings[name][face]))
                    for magnitude in (1.0, 2.0):
                        edited = [i for i in picked if abs(strength_of[i]) == magnitude]
                        rows_fn, _ = verification.similarity_functions(judge.similarity)
                        for index in edited:
                            if np.all(np.isfinite(embeddings[index])) and np.all(np.isfinite(embeddings[0])):
                                kept.setdefault((name, magnitude), []).append(
                                    float(rows_fn(embeddings[index][None], embeddings[0][None])[0]))
                            if face in photo_embeddings.get(name, {}):
                                accepted.setdefault((name, magnitude), []).extend(
                                    _similarities(judge, embeddings[index], photo_embeddings[name][face]))
            row = {"attribute": attribute, "mode": mode,
                   "conditions": "+".join(conditions_for(attribute, found)) if mode == "conditional" else "",
                   "faces": len(results), "Spearman (score vs strength), mean": _mean(spearmen)}
            leak = {other: measures.leakage(*zip(*pairs), scale=found[other].report.get("score_std", 1.0))
                    for other, pairs in leaks.items()}
            row["leakage, mean over other attributes"] = _mean(list(leak.values()))
            for name in judges:
                if (name, 0.0) in accepted:
                    row[f"{name} type II TAR % unedited"] = measures.acceptance(accepted[(name, 0.0)], thresholds[name])
                for magnitude in (1.0, 2.0):
                    # Each judge's own comparison: cosine, or (dlib) the Euclidean distance, shown positive.
                    sign, kind = (-1.0, "distance") if judges[name].similarity == "negative_euclidean" else (1.0, "cosine")
                    row[f"{name} {kind} to unedited at +-{magnitude:g}"] = sign * _mean(kept.get((name, magnitude), []))
                    if (name, magnitude) in accepted:
                        row[f"{name} type II TAR % at +-{magnitude:g}"] = measures.acceptance(
                            accepted[(name, magnitude)], thresholds[name])
            row.update({f"leakage into {other}": value for other, value in leak.items()})
            rows.append(row)
    return rows


def uniform(rows):
    """Rows with the same columns (in order of first appearance), NaN where a row has none."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    return [{column: row.get(column, float("nan")) for column in columns} for row in rows]


def _write_control(stem, rows, heading):
    rows = uniform(rows)
    report_files.write_table(stem, rows, heading, csv_only=[c for c in rows[0] if c.startswith("leakage into")])


def _thresholds(run_dir, judges):
    points = {}
    for name in judges:
        for key, rows in borrowed_thresholds.read_operating_points(run_dir, name).items():
            if key.endswith("-all"):
                points[name] = next(row["threshold"] for row in rows if row["FAR %"] == 0.1)
    return points


def _photo_embeddings(dataset, selection, faces, judges, cache_dir):
    """{judge: {identity: [M, D]}} of each identity's other photos (not its source), MTCNN-aligned."""
    from tf_reconstruct.evaluation import aligned_faces
    wanted = {identity: selection[identity][1:] for identity in faces if identity in selection}
    images = [image for others in wanted.values() for image in others]
    photos = dataset.read(images)
    aligned, _ = aligned_faces.align_images(((None, image, photos[image]) for image in images if image in photos),
                                            cache_dir / "aligned_photos.npz", total=len(images))
    out = {}
    for name, judge in judges.items():
        embedded = aligned_faces.embed_faces(judge, aligned, cache_file=cache_dir / f"photos_{name}.npz")
        out[name] = {identity: np.stack([embedded[i] for i in others if i in embedded])
                     for identity, others in wanted.items() if any(i in embedded for i in others)}
    return out


def _face_grid(result, found, strengths, out_file):
    plan = result["plan"].tolist()
    tiles = []
    for attribute in found:
        for strength in strengths:
            key = "none|none|0" if strength == 0 else f"{attribute}|conditional|{strength:g}"
            tiles.append(result["thumbnails"][plan.index(key)])
    save_png(make_grid(np.stack(tiles), len(strengths), THUMB), out_file)


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    out = pathlib.Path(FLAGS.study_out)
    cache = out / "cache"
    strengths = [float(value) for value in FLAGS.study_strengths]
    if 0.0 not in strengths or max(strengths) != -min(strengths):
        raise app.UsageError("--study_strengths must be symmetric and hold 0, e.g. -3,-2,-1,0,1,2,3")
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    folder = paths.boundaries_dir(FLAGS.boundaries_dir, generator.name, FLAGS.checkpoint_dir)
    found = {attribute: boundary_files.load(folder, attribute) for attribute in FLAGS.boundary_attributes}
    classifiers = [attribute_classifiers.load(name, FLAGS.checkpoint_dir) for name in attribute_classifiers.CLASSIFIERS]
    judges = {name: registry.get_extractor(name, None, FLAGS.checkpoint_dir) for name in JUDGES}
    scorer = Scorer(generator, classifiers, judges, FLAGS.study_resolution)
    rows = list(range(generator.num_ws))
    run = pathlib.Path(FLAGS.study_run)
    selection = json.loads((run / "selection.json").read_text())["identities"]
    lfw_faces = [name for name in selection if (run / "reconstructions" / f"{name}_wplus.npy").is_file()]
    lfw_faces = lfw_faces[:FLAGS.study_faces]
    ffhq_run = pathlib.Path(FLAGS.study_ffhq_run)
    ffhq_faces = sorted(path.name[:-len("_wplus.npy")] for path in (ffhq_run / "reconstructions").glob("*_wplus.npy"))
    ffhq_faces = ffhq_faces[:FLAGS.study_ffhq_faces]
    grid_faces = set(lfw_faces[:4]) | set(ffhq_faces[:2])
    faces = {f"lfw/{name}": np.load(run / "reconstructions" / f"{name}_wplus.npy") for name in lfw_faces}
    faces.update({f"ffhq/{name}": np.load(ffhq_run / "reconstructions" / f"{name}_wplus.npy") for name in ffhq_faces})

    results = {}
    for key, w_plus in tqdm(faces.items(), desc="editing reconstructions", unit="face"):
        results[key] = edit_face(scorer, w_plus, found, strengths, rows, cache / "edits" / f"{key}.npz",
                                 key.split("/", 1)[1] in grid_faces)
    dataset = lfw.load_lfw(FLAGS.data_dir)
    thresholds = _thresholds(run, judges)
    photo_embeddings = _photo_embeddings(dataset, selection, [k.split("/", 1)[1] for k in faces if k.startswith("lfw/")],
                                         judges, cache)
    keyed = {name: {f"lfw/{identity}": value for identity, value in table.items()}
             for name, table in photo_embeddings.items()}
    table = control_rows(results, found, strengths, judges, thresholds, keyed)
    _write_control(out / "edit_control", table, _control_heading(len(lfw_faces), len(ffhq_faces), strengths))
    for key, result in results.items():
        if "thumbnails" in result:
            _face_grid(result, found, strengths, out / f"grid_{key.replace('/', '_')}.png")

    if FLAGS.study_photos:
        _real_photos(scorer, generator, dataset, selection, found, strengths, rows, out, judges, thresholds)
    if FLAGS.study_normalize:
        _normalization(scorer, generator, classifiers, run, selection, dataset, found, out, judges, thresholds)


def _control_heading(lfw_count, ffhq_count, strengths):
    return (f"Edit control on {lfw_count} LFW and {ffhq_count} FFHQ reconstructions (the paper's engine), strengths "
            f"{', '.join(f'{s:g}' for s in strengths)} along each boundary's unit normal in every w+ row, rendered at "
            f"{FLAGS.study_resolution} px. Leakage: mean |change| of the other attributes between the extreme "
            f"strengths, in units of their spread over the labelled samples. Identity: each judge's cosine (dlib: "
            f"Euclidean distance, a match below 0.6) of the MTCNN-aligned edited face to the unedited one, and "
            f"type II TAR against the person's real photos at the run's FAR 0.1% "
            f"`all` thresholds (LFW faces only). `python -m tf_reconstruct.studies.editing_control`.")


def _real_photos(scorer, generator, dataset, selection, found, strengths, rows, out, judges, thresholds):
    """Inverts --study_photos LFW source photos and FFHQ samples, then edits them like the reconstructions."""
    attacker = registry.get_attack_extractor("mobilefacenet192", None, FLAGS.checkpoint_dir)
    bank = baselines_dir(FLAGS.baselines_dir, attacker.name, FLAGS.checkpoint_dir)
    lfw_ids = list(selection)[:FLAGS.study_photos]
    photos = {f"lfw/{identity}": dataset.read([selection[identity][0]])[selection[identity][0]] for identity in lfw_ids}
    samples = ffhq.load_ffhq(FLAGS.ffhq_dir)
    sample_ids = sorted(samples.images_by_identity)[:FLAGS.study_photos]
    for identity in sample_ids:
        image = samples.images_by_identity[identity][0]
        photos[f"ffhq/{identity}"] = samples.read([image])[image]
    inversions, results = [], {}
    for key, photo in tqdm(photos.items(), desc="inverting photos", unit="photo"):
        saved = out / "inversions" / f"{key.replace('/', '_')}_wplus.npy"
        record_file = saved.with_suffix(".json")
        if not record_file.is_file():
            result, face_psnr = invert.invert_photo(generator, attacker, photo, key, bank,
                                                    steps=FLAGS.study_invert_steps)
            with atomic_files.replacing(saved) as temporary:
                with open(temporary, "wb") as handle:
                    np.save(handle, result.w_plus)
            cosine_512 = _judge_cosine(judges["mobilefacenet512"], generator, result.w_plus, photo, key)
            atomic_files.write_text(record_file, json.dumps({"photo": key, "psnr_face_db": face_psnr,
                                                             "attacker_cosine": result.cosine,
                                                             "mobilefacenet512_cosine": cosine_512}, indent=1))
        inversions.append(json.loads(record_file.read_text()))
        results[key] = edit_face(scorer, np.load(saved), found, strengths, rows,
                                 out / "cache" / "photo_edits" / f"{key}.npz", False)
    report_files.write_table(out / "inversions", inversions, (
        "Real photos inverted into W+ (optimize/photo_inversion.py: in the generator's frame, latent-bank start, "
        f"Adam, pixel + attacker-identity loss, {FLAGS.study_invert_steps} steps at 256 px): PSNR on the face region "
        "(the ArcFace crop with 24 px around it), and the cosine of the inverted face to the photo for the "
        "attacker (in the loss) and MobileFaceNet-512 (not in it)."))
    # The LFW photos' type II: the edited inversion of the source photo against the person's other photos.
    others = _photo_embeddings(dataset, selection, lfw_ids, judges, out / "cache")
    keyed = {name: {f"lfw/{identity}": value for identity, value in table.items()} for name, table in others.items()}
    table = control_rows(results, found, strengths, judges, thresholds, keyed)
    _write_control(out / "edit_control_photos", table, "Edit control on inverted real photos (as edit_control.md; "
                   "identity against the unedited inversion, and type II TAR of the LFW photos' edited inversions "
                   "against the person's other photos).")


def _judge_cosine(judge, generator, w_plus, photo, key):
    """The judge's cosine between the inverted face (rendered at 1024 px) and the photo in the generator's frame,
    both aligned by MTCNN; NaN, with a warning, where MTCNN finds no face in either (the inversion is kept)."""
    try:
        framed, _ = invert.align_to_generator_frame(photo, key, generator, 256)
        faces = [photo_align.align_photo(image, key) for image in
                 (render.render(generator, w_plus[None], 1024)[0], framed)]
    except photo_align.NoFaceFoundError as error:
        logging.warning("%s: the judge's cosine is left empty (%s)", key, error)
        return float("nan")
    return float(verification.cosine_rows(judge(faces[0][None]).numpy(), judge(faces[1][None]).numpy())[0])


def _normalization(scorer, generator, classifiers, run, selection, dataset, found, out, judges, thresholds):
    """Normalises every LFW reconstruction of the run and compares pose, expression and type II TAR."""
    measurer = render.Measurer(generator, classifiers, FLAGS.study_resolution)
    names = [name for name in selection if (run / "reconstructions" / f"{name}_wplus.npy").is_file()]
    names = names[:FLAGS.study_normalize_faces or None]
    before, after, iterations = {}, {}, {}
    for name in tqdm(names, desc="normalising", unit="face"):
        cache_file = out / "cache" / "normalized" / f"{name}.npz"
        if not cache_file.is_file():
            w_plus = np.load(run / "reconstructions" / f"{name}_wplus.npy")
            best, history = normalize.normalize(w_plus, measurer, found)
            table, embeddings, small = scorer(np.stack([w_plus, best]), thumbnails=True)
            with atomic_files.replacing(cache_file) as temporary:
                np.savez_compressed(temporary, values=table, attributes=np.array(scorer.attributes),
                                    iterations=len(history) - 1, thumbnails=small,
                                    **{f"embedding_{n}": e for n, e in embeddings.items()})
        with np.load(cache_file, allow_pickle=False) as cached:
            before[name] = {key: cached[key][0] if key != "attributes" else cached[key] for key in cached.files
                            if key not in ("iterations",)}
            after[name] = {key: cached[key][1] for key in cached.files if key.startswith(("values", "embedding", "thumb"))}
            iterations[name] = int(cached["iterations"])
    photo_embeddings = _photo_embeddings(dataset, selection, names, judges, out / "cache")
    attributes = scorer.attributes
    rows = []
    for label, faces in (("reconstruction", before), ("normalised", after)):
        values = np.stack([faces[name]["values"] for name in names])
        yaw, pitch, smile = (values[:, attributes.index(a)] for a in ("yaw", "pitch", "smile"))
        row = {"faces": label, "count": len(names), "mean absolute yaw (degrees)": float(np.nanmean(np.abs(yaw))),
               "frontal % (yaw within 5 degrees)": float(100 * np.nanmean(np.abs(yaw) <= 5)),
               "mean pitch (degrees)": float(np.nanmean(pitch)),
               "neutral % (P(happy) < 0.5)": float(100 * np.nanmean(smile < 0.5))}
        for judge_name, judge in judges.items():
            similarities = np.concatenate([_similarities(judge, faces[name][f"embedding_{judge_name}"],
                                                         photo_embeddings[judge_name][name])
                                           for name in names if name in photo_embeddings[judge_name]])
            row[f"{judge_name} type II TAR % at FAR 0.1%"] = measures.acceptance(similarities, thresholds[judge_name])
        row["loop iterations, mean"] = float(np.mean(list(iterations.values()))) if label == "normalised" else 0.0
        rows.append(row)
    report_files.write_table(out / "normalization", uniform(rows), (
        f"Normalisation (editing/normalize.py: yaw into +-5 degrees, pitch into -12..5, P(happy) below 0.5, at most 8 "
        f"renders) of the {len(names)} LFW reconstructions of {run.name}, read at {FLAGS.study_resolution} px. Type II "
        f"TAR against the person's other real photos at the run's FAR 0.1% `all` thresholds."))
    tiles = []
    for name in names[:8]:
        source = dataset.read([selection[name][0]])[selection[name][0]]
        tiles.extend([cv2.resize(source, (THUMB, THUMB), interpolation=cv2.INTER_AREA), before[name]["thumbnails"],
                      after[name]["thumbnails"]])
    save_png(make_grid(np.stack(tiles), 3, THUMB), out / "grid_normalized.png")


if __name__ == "__main__":
    project_flags.define_editing_study_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
