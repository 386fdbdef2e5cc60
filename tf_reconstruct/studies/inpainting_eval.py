"""`python -m tf_reconstruct.studies.inpainting_eval`: the inpainting methods on real faces training never saw.

Test set: --inpaint_test_faces LFW photos (one per identity, drawn with --seed) and the FFHQ samples, each
warped into the generator's frame at 256 px (the frame every method works in), with one hole mask per
face drawn from (seed, face) in the bin face index mod 3 (0-20, 20-40, 40-60%). test_set/masks.json
records the masks' seeds and a sha256 of them (fixed_masks), so every method and every later run, on any
machine, sees the same holes. Methods (studies/inpainting_methods.py): telea, ns, inversion (masked W+ inversion from
the latent bank, batches of 8), inversion_mapping (the same from the trained Mapping, when train_baselines has made
one), each with a blend (_feather, _poisson) or another budget (inversion_200steps: one fit per start serves every
budget asked for, with snapshots), and each trained patent network found (full, no_region_norm, global_style;
trained at 256 px, or else 128 px and then given the faces resized to 128, its output resized back into the hole).
The test faces' parsing maps are cached and 8 drawn in parsing.png. Per method and bin: PSNR, SSIM and L1 over the
image and the hole, the judges' identity similarity to the unmasked face (MobileFaceNet-512 cosine, dlib
distance), and a Frechet distance between the filled and the original faces' MobileFaceNet-512 embeddings
(FID's formula on face-network features, not FID). Each filled face is cached with what made it, so the
study resumes, and a retrained network or a changed --inpaint_invert_steps is filled again, not reused; a
run of some methods (--inpaint_methods) keeps the other methods' rows in results.csv.
"""

import hashlib
import json
import pathlib

import numpy as np
from absl import app, flags, logging
from tqdm import tqdm

from tf_reconstruct import atomic_files, cli, flags as project_flags, interrupts
from tf_reconstruct.align import photo_align
from tf_reconstruct.baselines import template_to_latent
from tf_reconstruct.baselines.paths import baselines_dir
from tf_reconstruct.datasets import ffhq, lfw
from tf_reconstruct.editing import render
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import per_face_scores, report_files
from tf_reconstruct.inpainting import classical, compositing, masks, parsing, patent_fill, real_faces, trainer
from tf_reconstruct.inpainting.paths import trained_network_dir
from tf_reconstruct.metrics import inpainting as measures, verification
from tf_reconstruct.models import registry
from tf_reconstruct.optimize import photo_inversion
from tf_reconstruct.plots.image_grid import make_grid, save_png
from tf_reconstruct.plots.parsing_maps import save_parsing_figure
from tf_reconstruct.plots.training_curves import save_training_curves
from tf_reconstruct.studies.inpainting_methods import (METHODS, NETWORKS, chosen_methods, fits_name, inversion_spec,
                                                       table_order)

FLAGS = flags.FLAGS
SIZE = 256
JUDGES = ("mobilefacenet512", "dlib_resnet128")
BIN_NAMES = ("0-20%", "20-40%", "40-60%")
ATTACKER = "mobilefacenet192"   # the inversion's identity term and the templates its starts come from
# The figure's columns between masked and original.
FIGURE_METHODS = ("telea", "patent_full_rebalanced", "inversion", "inversion_poisson")


def test_set(generator, out):
    """(names, faces [N, 256, 256, 3] uint8 in the generator frame, holes [N, 256, 256] uint8, bins [N])."""
    cache = out / "cache" / "test_faces.npz"
    if cache.is_file():
        with np.load(cache) as saved:
            names, faces = saved["names"].tolist(), saved["faces"]
    else:
        dataset = lfw.load_lfw(FLAGS.data_dir)
        identities = real_faces.test_identities(dataset.images_by_identity, FLAGS.inpaint_test_faces, FLAGS.seed)
        wanted = {f"lfw/{identity}": sorted(dataset.images_by_identity[identity])[0] for identity in identities}
        photos = dataset.read(list(wanted.values()))
        samples = ffhq.load_ffhq(FLAGS.ffhq_dir)
        items = [(key, photos[image]) for key, image in wanted.items()]
        ffhq_names = sorted(samples.images_by_identity)[:FLAGS.inpaint_ffhq_faces]
        items += [(f"ffhq/{name}", samples.read([name])[name]) for name in ffhq_names]
        names, faces = [], []
        for key, photo in tqdm(items, desc="aligning test faces", unit="face"):
            try:
                framed, _ = photo_inversion.align_to_generator_frame(photo, key, generator, SIZE)
            except photo_align.NoFaceFoundError as error:
                logging.warning("test face skipped: %s", error)
                continue
            names.append(key)
            faces.append(framed)
        faces = np.stack(faces)
        with atomic_files.replacing(cache) as temporary:
            np.savez_compressed(temporary, names=np.array(names), faces=faces)
    holes, bins = fixed_masks(names, FLAGS.seed, out / "test_set")
    return names, faces, holes, bins


def fixed_masks(names, seed, folder):
    """(holes [N, 256, 256] uint8, bins [N]): one hole per test face, face i in bin i mod 3, free-form strokes
    for even i and boxes for odd i, drawn from seed * 100003 + i. masks.npz keeps them on this machine;
    masks.json, kept in git, records each face's seed, bin, kind and hole ratio and a sha256 of all the holes,
    so that a redraw on another machine is checked to be the very same holes."""
    mask_file, record_file = folder / "masks.npz", folder / "masks.json"
    bins = np.arange(len(names)) % len(masks.BINS)
    seeds = [seed * 100003 + index for index in range(len(names))]
    kinds = [masks.fixed_kind(index) for index in range(len(names))]
    if mask_file.is_file():
        with np.load(mask_file) as saved:
            if saved["names"].tolist() != names:
                raise InputError(f"{mask_file} was made for another test set; delete it to draw the masks again")
            holes = np.unpackbits(saved["packed"], axis=-1)[..., :SIZE]
    else:
        holes = np.stack([masks.fixed_hole(SIZE, seed, index)[0] for index in range(len(names))])
        with atomic_files.replacing(mask_file) as temporary:
            np.savez_compressed(temporary, names=np.array(names), packed=np.packbits(holes, axis=-1), bins=bins,
                                seeds=np.array(seeds))
    holes = holes.astype(np.uint8)
    fingerprint = hashlib.sha256(np.packbits(holes, axis=-1).tobytes()).hexdigest()
    if not record_file.is_file():
        atomic_files.write_text(record_file, json.dumps(
            {"names": names, "seeds": seeds, "bins": [masks.BINS[b] for b in bins.tolist()], "kinds": kinds,
             "hole_ratios": [round(float(hole.mean()), 4) for hole in holes], "sha256": fingerprint}, indent=1))
    record = json.loads(record_file.read_text())
    if record["names"] != names or record["sha256"] != fingerprint:
        raise InputError(f"the test masks here differ from those {record_file} records (another test set, seed or "
                         f"mask generator): restore them, or delete {record_file} and {mask_file} to fix new ones, "
                         f"which changes every method's numbers")
    return holes, bins


def parse_framed(parser, faces, names):
    """(labels [N, S, S] uint8, indices MTCNN missed) of faces in the generator frame. Every face is in the
    same frame, so where MTCNN misses one there (it found each in its photo), the median box of the others
    is where its face is."""
    labels, boxes, missed = [None] * len(names), [], []
    for index in tqdm(range(len(names)), desc="parsing test faces", unit="face"):
        try:
            box = photo_align.detect_subject(faces[index], names[index])["box"]
        except photo_align.NoFaceFoundError:
            missed.append(index)
            continue
        boxes.append(box)
        labels[index] = parser(faces[index], names[index], box=box)
    if not boxes:
        raise photo_align.NoFaceFoundError(f"MTCNN found none of the {len(names)} faces in the generator frame")
    for index in missed:
        labels[index] = parser(faces[index], names[index], box=np.median(boxes, axis=0))
    return np.stack(labels).astype(np.uint8), missed


def _parsings(names, faces, out):
    """Parsing maps [N, 256, 256] of the unmasked test faces (what the patent's network is given), cached,
    and 8 of them drawn in parsing.png."""
    cache = out / "cache" / "parsings.npz"
    if cache.is_file():
        with np.load(cache) as saved:
            if saved["names"].tolist() == names:
                return saved["labels"]
    labels, missed = parse_framed(parsing.Parser.load(FLAGS.checkpoint_dir), faces, names)
    if missed:
        logging.info("parsing: MTCNN missed %d of %d test faces in the frame (%s); the median box was used",
                     len(missed), len(names), ", ".join(names[i] for i in missed))
    with atomic_files.replacing(cache) as temporary:
        np.savez_compressed(temporary, names=np.array(names), labels=labels)
    shown = [index for index, name in enumerate(names) if name.startswith("lfw/")][:6]
    shown += [index for index, name in enumerate(names) if name.startswith("ffhq/")][:2]
    save_parsing_figure(faces[shown], labels[shown], [names[i] for i in shown], parsing.REGIONS, out / "parsing.png")
    return labels


def cached_fills(cache, made_by, set_aside=True):
    """{face name: filled face} saved in `cache` by the same `made_by` (method, its settings and, for a trained
    network, its step); a cache that something else made is set aside as <name>.replaced.npz (finished work is
    never overwritten; with set_aside=False it is only ignored), so a retrained network is never scored on its
    predecessor's fills."""
    if not cache.is_file():
        return {}
    with np.load(cache) as saved:
        found = str(saved["made_by"]) if "made_by" in saved else "unrecorded settings"
        if found == made_by:
            return dict(zip(saved["names"].tolist(), saved["filled"]))
    if not set_aside:
        return {}
    aside = cache.with_name(cache.stem + ".replaced.npz")
    logging.warning("%s was made by %s, not %s: filling again (the old fills are kept as %s)", cache, found,
                    made_by, aside)
    cache.replace(aside)
    return {}


def save_fills(cache, done, made_by):
    """Writes {face name: filled face} and what made them to `cache`, atomically."""
    with atomic_files.replacing(cache) as temporary:
        np.savez_compressed(temporary, names=np.array(list(done)), filled=np.stack(list(done.values())),
                            made_by=np.array(made_by))


def _method_fills(method, names, faces, holes, models, out):
    """Filled faces [N, 256, 256, 3] of `method`, cached per method and what made it (models["made_by"]); an
    inversion's generated faces (models["fits"], from inversion_fits) are composited by its blend."""
    spec = inversion_spec(method, FLAGS.inpaint_invert_steps)
    if spec:
        generated = models["fits"][spec.start, spec.steps]
        return np.stack([compositing.composite(generated[i], faces[i], holes[i], spec.blend)
                         for i in range(len(names))])
    cache, made_by = out / "cache" / f"filled_{method}.npz", models["made_by"][method]
    done = cached_fills(cache, made_by)
    todo = [index for index, name in enumerate(names) if name not in done]
    if method in classical.METHODS:
        for index in todo:
            done[names[index]] = classical.fill(faces[index] * (1 - holes[index][..., None]), holes[index], method)
    else:
        network, size = models[method]
        for start in range(0, len(todo), 8):
            batch = todo[start:start + 8]
            fills = patent_fill.fill_framed(network, size, faces[batch], holes[batch], models["parsings"][batch])
            done.update({names[i]: fill for i, fill in zip(batch, fills)})
    if todo:
        save_fills(cache, done, made_by)
    return np.stack([done[name] for name in names])


def inversion_fits(methods, names, faces, holes, models, out):
    """{(start, steps): generated faces [N, 256, 256, 3]} of the masked inversions `methods` need (before any
    compositing). The budgets of one start share one fit, to the largest, with snapshots at the others, so
    they are compared on the very same paths. Batches of 8, each budget cached by what made it
    (fits_<method>.npz), saved after each batch."""
    budgets = {}
    for spec in filter(None, (inversion_spec(method, FLAGS.inpaint_invert_steps) for method in methods)):
        budgets.setdefault(spec.start, set()).add(spec.steps)
    priors = baselines_dir(FLAGS.baselines_dir, models["attacker"].name, FLAGS.checkpoint_dir)
    fits, loaded = {}, {}
    for start, steps in budgets.items():
        caches = {count: _fits_cache(out, start, count, models["attacker"].name) for count in steps}
        done = {count: cached_fills(cache, made_by) for count, (cache, made_by) in caches.items()}
        todo = [index for index, name in enumerate(names) if any(name not in kept for kept in done.values())]
        longest = max(steps)
        for first in tqdm(range(0, len(todo), 8), desc=f"inversion, {start} start, {longest} steps", unit="batch"):
            batch = todo[first:first + 8]
            holed = np.stack([faces[i] * (1 - holes[i][..., None]) for i in batch]).astype(np.uint8)
            starts = photo_inversion.template_starts(models["generator"], models["attacker"], holed, priors, start,
                                                     loaded)
            results = photo_inversion.invert_framed(
                models["generator"], models["attacker"], holed, starts, steps=longest,
                known=np.stack([1 - holes[i] for i in batch]).astype(np.float32), snapshots=sorted(steps - {longest}))
            for count, (cache, made_by) in caches.items():
                done[count].update({names[i]: (result.face if count == longest else result.snapshots[count])
                                    for i, result in zip(batch, results)})
                save_fills(cache, done[count], made_by)
        fits.update({(start, count): np.stack([done[count][name] for name in names]) for count in steps})
    return fits


def inversion_made_by(start, steps, attacker):
    """What made an inversion's fits: the label its cache and its per-face scores are keyed by."""
    return f"masked inversion, {steps} steps, {start} start from {attacker} templates"


def _fits_cache(out, start, steps, attacker):
    """(the cache of an inversion's generated faces, what made them)."""
    return (out / "cache" / f"fits_{fits_name(start, steps, FLAGS.inpaint_invert_steps)}.npz",
            inversion_made_by(start, steps, attacker))


def main(argv):
    del argv
    interrupts.stop_on_sigterm()
    out = pathlib.Path(FLAGS.inpaint_out)
    networks = {method: trained_network_dir(None, variant, FLAGS.checkpoint_dir, style)
                for method, (variant, style) in NETWORKS.items()}
    priors = baselines_dir(FLAGS.baselines_dir, ATTACKER, FLAGS.checkpoint_dir)
    methods = chosen_methods(FLAGS.inpaint_methods, networks, template_to_latent.mapping_files(priors, "w")[1].is_file())
    generator = registry.get_generator("mobilestylegan", FLAGS.checkpoint_dir)
    names, faces, holes, bins = test_set(generator, out)
    models = _models(generator, methods, networks)
    models["parsings"] = _parsings(names, faces, out)
    models["fits"] = inversion_fits(methods, names, faces, holes, models, out)
    judges = {name: registry.get_extractor(name, None, FLAGS.checkpoint_dir) for name in JUDGES}
    originals = render.embed(faces, judges)
    rows, filled_by_method, per_face = [], {}, {}
    for method in methods:
        filled = _method_fills(method, names, faces, holes, models, out)
        filled_by_method[method] = filled
        method_rows, per_face[method] = _scored(method, filled, faces, holes, bins, judges, originals)
        per_face_scores.write_scores(out / "per_face" / f"{method}.csv", names, per_face[method],
                                     _made_by(method, models))
        rows += method_rows
    rows = _merged_with_file(out / "results.csv", rows)
    report_files.write_table(out / "results", rows, (
        f"Inpainting on {len(names)} real faces no method trained on ({sum(n.startswith('lfw/') for n in names)} LFW, "
        f"{sum(n.startswith('ffhq/') for n in names)} FFHQ), warped into the generator's frame at 256 px, one fixed "
        f"hole each (test_set/masks.json). Identity: the judges' similarity of the MTCNN-aligned filled face to the "
        f"unmasked one. The Frechet distance uses MobileFaceNet-512 embeddings, not InceptionV3: it is not FID. "
        f"`python -m tf_reconstruct.studies.inpainting_eval`; a method's rows stay until a run measures it again."))
    for method in FIGURE_METHODS:   # a method not run this time: its cached fills of the figure's faces, if any
        if method not in filled_by_method:
            kept = _cached_figure_fills(method, names[:8], faces, holes, models, out)
            if kept is not None:
                filled_by_method[method] = kept
    _figure(names, faces, holes, filled_by_method, out)
    # A paired comparison may pair this run's method with another's committed per-face scores.
    made_by = {method: _made_by(method, models) for method in per_face}
    for method in table_order([*METHODS, *(path.stem for path in (out / "per_face").glob("*.csv"))]):
        if method not in per_face:
            kept, made_by[method] = per_face_scores.read_scores(out / "per_face" / f"{method}.csv", names)
            if kept is not None:
                per_face[method] = kept
    ablation_table(per_face, bins, out, made_by)
    inversion_table(per_face, bins, out, made_by, FLAGS.inpaint_invert_steps)
    identity_against_telea(per_face, bins, out)
    training_table({method: networks[method] for method in methods if method in networks}, out)
    atomic_files.write_text(out / "test_set" / "faces.json", json.dumps(names, indent=1))


def _made_by(method, models):
    """What made a method's fills: its own maker, or for an inversion, its start and steps and any blend."""
    spec = inversion_spec(method, FLAGS.inpaint_invert_steps)
    if not spec:
        return models["made_by"][method]
    made_by = inversion_made_by(spec.start, spec.steps, models["attacker"].name)
    return made_by + ("" if spec.blend == "paste" else f", {spec.blend} blend")


def _cached_figure_fills(method, names, faces, holes, models, out):
    """[len(names), 256, 256, 3] fills of `method` from its cache, or None where some are not there."""
    spec = inversion_spec(method, FLAGS.inpaint_invert_steps)
    if spec:
        cache, made_by = _fits_cache(out, spec.start, spec.steps, models["attacker"].name)
    elif method in models["made_by"]:
        made_by, cache = models["made_by"][method], out / "cache" / f"filled_{method}.npz"
    else:
        return None
    kept = cached_fills(cache, made_by, set_aside=False)
    if not all(name in kept for name in names):
        return None
    if not spec:
        return np.stack([kept[name] for name in names])
    return np.stack([compositing.composite(kept[name], faces[i], holes[i], spec.blend)
                     for i, name in enumerate(names)])


def _models(generator, methods, networks):
    """The generator, the attacker, each chosen network as (model, size), and what made each method's fills
    ("made_by", the label its cache is keyed by)."""
    models = {"generator": generator, "attacker": registry.get_attack_extractor(ATTACKER, None, FLAGS.checkpoint_dir)}
    models["made_by"] = {method: method for method in classical.METHODS}
    for method in methods:
        if method in networks:
            network, settings = trainer.load_generator(networks[method])
            models[method] = (network, settings.size)
            trained = json.loads((networks[method] / "training.json").read_text())
            # An early-stopped network keeps its best validation's weights, not its last step's.
            models["made_by"][method] = f"{networks[method].name} at step {trained.get('best_step') or trained['steps']}"
    return models


def _scored(method, filled, faces, holes, bins, judges, originals):
    """(results rows of `method` by hole-ratio bin, {measure: per-face values} for the paired ablation)."""
    embedded = render.embed(filled, judges)
    count = len(faces)
    rows_fn, _ = verification.similarity_functions(judges["mobilefacenet512"].similarity)
    per_face = {
        "PSNR hole dB": np.array([measures.psnr(filled[i], faces[i], holes[i]) for i in range(count)]),
        "MobileFaceNet-512 cosine": np.array([
            float(rows_fn(embedded["mobilefacenet512"][i][None], originals["mobilefacenet512"][i][None])[0])
            for i in range(count)])}
    rows = []
    for bin_index, bin_name in enumerate(BIN_NAMES):
        chosen = np.nonzero(bins == bin_index)[0]
        row = {"method": method, "hole ratio": bin_name, "faces": len(chosen),
               "PSNR dB": np.mean([measures.psnr(filled[i], faces[i]) for i in chosen]),
               "PSNR hole dB": np.mean(per_face["PSNR hole dB"][chosen]),
               "SSIM": np.mean([measures.ssim(filled[i], faces[i]) for i in chosen]),
               "SSIM hole box": np.mean([measures.ssim(filled[i], faces[i], holes[i]) for i in chosen]),
               "L1": np.mean([measures.l1(filled[i], faces[i]) for i in chosen]),
               "L1 hole": np.mean([measures.l1(filled[i], faces[i], holes[i]) for i in chosen])}
        for name, judge in judges.items():
            rows_fn, _ = verification.similarity_functions(judge.similarity)
            ok = [i for i in chosen if np.all(np.isfinite(embedded[name][i])) and
                  np.all(np.isfinite(originals[name][i]))]
            values = [float(rows_fn(embedded[name][i][None], originals[name][i][None])[0]) for i in ok]
            label = "distance" if judge.similarity == "negative_euclidean" else "cosine"
            row[f"{name} {label} to original"] = (-1 if label == "distance" else 1) * float(np.mean(values))
        both = [i for i in chosen if np.all(np.isfinite(embedded["mobilefacenet512"][i]))
                and np.all(np.isfinite(originals["mobilefacenet512"][i]))]
        # The judges score only faces MTCNN finds after the fill: a fill that smears the face drops out.
        row["faces MTCNN found"] = len(both)
        row["Frechet distance, MobileFaceNet-512 features"] = measures.frechet_distance(
            embedded["mobilefacenet512"][both], originals["mobilefacenet512"][both]) if len(both) > 2 else np.nan
        rows.append(row)
    return rows, per_face


def ablation_pairs(methods):
    """(full network, ablation) pairs among `methods`: each ablation against the full network of its own style
    weight, trained on the same seeded batches and holes."""
    full_of_style = {style: method for method, (variant, style) in NETWORKS.items() if variant == "full"}
    return [(full_of_style[NETWORKS[method][1]], method) for method in METHODS
            if method in methods and method in NETWORKS and NETWORKS[method][0] != "full"
            and full_of_style[NETWORKS[method][1]] in methods]


def ablation_table(per_face, bins, out, made_by):
    """The full network minus each ablation, face by face on the same holes (per bin and over all faces):
    the mean paired difference and its standard error, so that a gap can be read against its noise.
    `made_by` names each method's weights (their step), so that a row says which budgets it compares."""
    rows = paired_rows(ablation_pairs(per_face), per_face, bins, made_by, ("network", "minus"))
    if rows:
        report_files.write_table(out / "ablation", rows, (
            "The patent's full network minus each ablation of the same style weight, face by face on the same test "
            "holes: mean paired difference ± its standard error (positive: the full network is better on PSNR and "
            "cosine). Per-face scores: per_face/<method>.csv."))


def inversion_pairs(methods, default_steps):
    """(method, against) pairs of inversions among `methods` that differ in one thing: a budget against the
    same start and blend at `default_steps`, and the Mapping start against the bank's at the same budget."""
    specs = {method: inversion_spec(method, default_steps) for method in methods}
    by_spec = {spec: method for method, spec in specs.items() if spec}
    pairs = []
    for method in table_order([method for method, spec in specs.items() if spec]):
        spec = specs[method]
        if spec.steps != default_steps and spec._replace(steps=default_steps) in by_spec:
            pairs.append((method, by_spec[spec._replace(steps=default_steps)]))
        if spec.start == "mapping" and spec._replace(start="bank") in by_spec:
            pairs.append((method, by_spec[spec._replace(start="bank")]))
    return pairs


def inversion_table(per_face, bins, out, made_by, default_steps):
    """Each inversion against the same one with the default budget (`default_steps`, that of unsuffixed
    names) or from the bank, face by face on the same holes (budgets of one start come from one fit, so they
    share its path): mean paired difference ± its standard error, per bin and over all faces."""
    pairs = inversion_pairs(per_face, default_steps)
    rows = paired_rows(pairs, per_face, bins, made_by, ("inversion", "minus"))
    if rows:
        report_files.write_table(out / "inversions", rows, (
            "Masked inversions that differ in one thing (more steps, or the Mapping's start for the bank's), face "
            "by face on the same test holes: mean paired difference ± its standard error (positive: the first is "
            "better on PSNR and cosine). Per-face scores: per_face/<method>.csv."))


def paired_rows(pairs, per_face, bins, made_by, columns):
    """Rows of `first` minus `second` for each pair, per bin and over all faces, on every measure of
    per_face[first] (left empty where fewer than 2 faces have both); the two `columns` name the pair by made_by."""
    rows = []
    for first, second in pairs:
        for bin_index, bin_name in enumerate((*BIN_NAMES, "all")):
            chosen = np.ones(len(bins), bool) if bin_name == "all" else bins == bin_index
            row = {columns[0]: made_by[first], columns[1]: made_by[second], "hole ratio": bin_name,
                   "faces": int(chosen.sum())}
            for measure in per_face[first]:
                ours, theirs = per_face[first][measure][chosen], per_face[second][measure][chosen]
                finite = np.isfinite(ours) & np.isfinite(theirs)   # a face MTCNN missed after a fill drops out
                if finite.sum() < 2:
                    row[measure] = ""
                    continue
                mean, error = measures.paired_difference(ours[finite], theirs[finite])
                row[measure] = f"{mean:+.3f} ± {error:.3f}"
            rows.append(row)
    return rows


def identity_against_telea(per_face, bins, out):
    """Each method's MobileFaceNet-512 cosine against Telea's on the faces MTCNN finds after both fills: the
    results table averages each method over the faces it keeps, and Telea loses the hardest (a third of the
    40-60% holes), which flatters it. Mean paired difference ± its standard error, per bin."""
    if "telea" not in per_face:
        return
    rows = []
    measure = "MobileFaceNet-512 cosine"
    for method in (m for m in per_face if m != "telea"):
        for bin_index, bin_name in enumerate(BIN_NAMES):
            ours, theirs = per_face[method][measure][bins == bin_index], per_face["telea"][measure][bins == bin_index]
            both = np.isfinite(ours) & np.isfinite(theirs)
            if both.sum() < 2:
                continue
            mean, error = measures.paired_difference(ours[both], theirs[both])
            rows.append({"method": method, "hole ratio": bin_name, "faces both find": int(both.sum()),
                         "method cosine": float(ours[both].mean()), "Telea cosine": float(theirs[both].mean()),
                         "difference": f"{mean:+.3f} ± {error:.3f}"})
    if rows:
        # The rows of methods not scored this time stay (their fills and Telea's are the same as then).
        rows = _merged_with_file(out / "identity_against_telea.csv", rows)
        report_files.write_table(out / "identity_against_telea", rows, (
            "MobileFaceNet-512 cosine to the original on the faces MTCNN finds after both the method's fill and "
            "Telea's (the results table averages each method over the faces it keeps): method minus Telea, face "
            "by face, ± its standard error."))


def training_table(folders, out, last=100):
    """Each evaluated patent network's training ({method: its folder}): its budget and its losses over the last
    `last` steps (batches and holes are fixed by (seed, step), so the variants are compared on the same ones)."""
    rows, curves = [], {}
    for method, folder in folders.items():
        summary = json.loads((folder / "training.json").read_text())
        logged = trainer.read_losses(folder)
        row = {"network": method, "size px": summary["settings"]["size"], "steps": summary["steps"],
               "faces seen": summary["faces_seen"], "training faces": summary["training_faces"],
               "real of them": summary.get("real_training_faces", 0),
               "style weight": summary["settings"]["style_weight"],
               "weights of step": summary.get("best_step") or summary["steps"],
               "best validation hole L1": summary.get("best_validation_hole_l1")}
        timed = summary.get("timed_steps", summary["steps_this_run"])
        seconds = summary.get("timed_seconds", summary["seconds_this_run"])
        row.update({"timed steps": timed, "seconds per step": round(seconds / max(timed, 1), 2)})
        row.update({f"{term}, mean of last {last} steps": float(np.mean(logged[term][-last:]))
                    for term in ("reconstruction", "perceptual", "style", "adversarial", "generator", "discriminator")})
        rows.append(row)
        curves[method] = (logged["step"], logged["reconstruction"])
    if rows:
        rows = merged_rows(report_files.read_csv(out / "training.csv"), rows, METHODS, key="network")
        report_files.write_table(out / "training", rows, (
            "Training of each patent network evaluated: raw loss terms (before their weights 1, 0.05, the style "
            "weight, 0.1), on the same seeded batches and holes for every variant; the weights evaluated are those of "
            "the best validation (LFW identities outside the test set) when the run was validated; seconds per step "
            "over the steps whose run left a summary (2 CPU cores). `python -m tf_reconstruct.train_inpainting`."))
        save_training_curves(out / "training.png", curves, "hole-weighted L1", "the patent's network and its ablations")


def merged_rows(previous, rows, order, key="method"):
    """The results table: this run's `rows`, and the `previous` rows of every method (the `key` column) it did
    not measure (the test set is fixed, so they still hold), sorted by the methods' `order` (others last), bins
    kept in order. A measure that a kept row's run did not take is left empty in it."""
    ran = {row[key] for row in rows}
    kept = [row for row in previous if row[key] not in ran] + rows
    columns = list(dict.fromkeys(column for row in rows + kept for column in row))
    rank = {method: index for index, method in enumerate(order)}
    return sorted(({column: row.get(column, "") for column in columns} for row in kept),
                  key=lambda row: rank.get(row[key], len(order)))


def _merged_with_file(path, rows):
    """merged_rows of the table at `path` and this run's `rows`, methods in table order (budgets included)."""
    previous = report_files.read_csv(path)
    return merged_rows(previous, rows, table_order([*METHODS, *(row["method"] for row in previous + rows)]))


def comparison_figure(faces, holes, columns, path, count=8):
    """Writes a grid of the first `count` faces, a row each: masked (the hole white), each of `columns`
    ([N, ...] fills), original."""
    tiles = []
    for index in range(min(count, len(faces))):
        masked = faces[index].copy()
        masked[holes[index] > 0] = 255
        tiles.extend([masked] + [column[index] for column in columns] + [faces[index]])
    save_png(make_grid(np.stack(tiles), len(columns) + 2, 160), path)


def _figure(names, faces, holes, filled_by_method, out):
    """8 faces: masked, each method, original. A run on a machine whose caches hold fewer of the columns than
    the figure already there keeps that figure rather than drawing a poorer one over it."""
    order = [m for m in FIGURE_METHODS if m in filled_by_method]
    listed = out / "figure.txt"
    shown = listed.read_text().splitlines()[0].split(", ")[1:-1] if listed.is_file() else []
    if len(order) < len(shown):
        logging.info("figure.png kept: this run has the fills of %s only, the figure shows %s", ", ".join(order),
                     ", ".join(shown))
        return
    comparison_figure(faces, holes, [filled_by_method[m] for m in order], out / "figure.png")
    atomic_files.write_text(out / "figure.txt", "columns: masked, " + ", ".join(order) + ", original\n" +
                            "\n".join(names[:8]) + "\n")


if __name__ == "__main__":
    project_flags.define_inpainting_eval_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
