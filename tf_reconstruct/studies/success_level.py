"""`python -m tf_reconstruct.studies.success_level`: the attacker's own genuine-pair cosines on LFW, from which
the success stop's level is chosen (issue 35: from the attacker's scores, never from a judge's).

Takes the genuine pairs of LFW's View 1 training split (pairsDevTrain.txt, LFW's set for choosing parameters),
drops every pair of a person that a scored run uses (--success_exclude: run folders whose selection.json
names them, by default the 150-identity run, the fidelity screen and its 48 people), aligns each photo
with MTCNN, embeds it with the attacker and writes the cosines' quantiles and histogram to
experiments/speed/success_level.{md,csv,png}. Embeddings are cached per photo as they are made (the run
resumes); a photo MTCNN cannot align is named in the table's heading and its pairs left out.

    genuine_pairs(pairs, excluded) -> [(first id, second id)]      quantile_rows(scores, quantiles) -> rows
"""

import pathlib

import numpy as np
from absl import app, flags, logging
from tqdm import tqdm

from tf_reconstruct import atomic_files, cli, flags as project_flags
from tf_reconstruct.align import photo_align
from tf_reconstruct.datasets import lfw, selection
from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.models import registry
from tf_reconstruct.plots.figure_file import save_figure

FLAGS = flags.FLAGS
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
CHUNK = 32      # photos embedded between two saves of the cache


def identity_of(image_id):
    """'Abel_Pacheco_0001' -> 'Abel_Pacheco'."""
    return image_id.rsplit("_", 1)[0]


def genuine_pairs(pairs, excluded):
    """The genuine pairs (lfw.Pair) of people not in `excluded`, as (first id, second id)."""
    return [(pair.first, pair.second) for pair in pairs if pair.same and identity_of(pair.first) not in excluded]


def quantile_rows(scores, quantiles=QUANTILES):
    """[{'quantile', 'cosine'}] of `scores` (numpy's linear interpolation), then the mean and the count."""
    scores = np.asarray(scores, np.float64)
    rows = [{"statistic": f"{100 * q:g}% quantile", "cosine": float(np.quantile(scores, q))} for q in quantiles]
    return rows + [{"statistic": "mean", "cosine": float(scores.mean())},
                   {"statistic": "pairs", "cosine": int(len(scores))}]


def _embed_missing(image_ids, images_source, extractor, cache_file):
    """{image id: embedding or None (no face)} for every id, embedding those the cache lacks, saved per chunk."""
    cache = {}
    if cache_file.is_file():
        with np.load(cache_file) as stored:
            cache = {key: stored[key] for key in stored.files}
    missing = [image_id for image_id in image_ids if image_id not in cache]
    with tqdm(total=len(missing), desc="aligning and embedding photos", unit="photo") as bar:
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start:start + CHUNK]
            photos = lfw.read_images(images_source, chunk)
            for image_id in chunk:
                try:
                    face = photo_align.align_photo(photos[image_id], image_id)
                    cache[image_id] = extractor(face[None]).numpy()[0]
                except photo_align.NoFaceFoundError:
                    cache[image_id] = np.zeros(0, np.float32)    # kept, so a resumed run does not try again
                bar.update(1)
            with atomic_files.replacing(cache_file) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez(handle, **cache)
    return {image_id: (cache[image_id] if cache[image_id].size else None) for image_id in image_ids}


def _histogram(path, scores, rows):
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(6, 3.2))
    axis.hist(scores, bins=40, color="tab:blue", alpha=0.8)
    for row in rows:
        if row["statistic"] in ("10% quantile", "50% quantile", "90% quantile"):
            axis.axvline(row["cosine"], color="black", linestyle="--", linewidth=0.8)
            axis.text(row["cosine"], axis.get_ylim()[1] * 0.95, row["statistic"].split()[0], fontsize=7)
    axis.set_xlabel(f"{FLAGS.attack_model} cosine of two photos of one person")
    axis.set_ylabel("genuine pairs")
    save_figure(figure, path)


def main(argv):
    del argv
    project_flags.apply_threads()
    data_dir, out = pathlib.Path(FLAGS.data_dir), pathlib.Path(FLAGS.success_out)
    pairs_file = data_dir / FLAGS.success_pairs_file
    if not pairs_file.is_file():
        raise InputError(f"--success_pairs_file: {pairs_file} not found; --data_dir must hold LFW's pairs files")
    excluded = selection.excluded_identities(FLAGS.success_exclude, "--success_exclude")
    pairs = genuine_pairs(lfw.parse_pairs(pairs_file.read_text()), excluded)
    if FLAGS.success_max_pairs:
        pairs = pairs[:FLAGS.success_max_pairs]
    extractor = registry.get_attack_extractor(FLAGS.attack_model, None, FLAGS.checkpoint_dir)
    image_ids = sorted({image_id for pair in pairs for image_id in pair})
    logging.info("%d genuine pairs of %s (%d people excluded), %d photos", len(pairs), pairs_file.name,
                 len(excluded), len(image_ids))
    out.mkdir(parents=True, exist_ok=True)
    embeddings = _embed_missing(image_ids, lfw.find_images(data_dir), extractor,
                                out / "cache" / f"success_level_{extractor.name}.npz")
    unaligned = sorted(image_id for image_id, value in embeddings.items() if value is None)
    kept = [(a, b) for a, b in pairs if embeddings[a] is not None and embeddings[b] is not None]
    first, second = (np.stack([embeddings[pair[index]] for pair in kept]) for index in (0, 1))
    scores = np.sum(first * second, 1) / np.linalg.norm(first, axis=1) / np.linalg.norm(second, axis=1)
    rows = quantile_rows(scores)
    report_files.write_table(out / "success_level", rows, (
        f"The attacker's ({extractor.name}) cosine between two MTCNN-aligned photos of one person: the "
        f"{len(kept)} genuine pairs of LFW's {pairs_file.name} whose person no scored run uses ({len(excluded)} "
        f"people excluded, from {', '.join(map(str, FLAGS.success_exclude)) or 'no run'}). "
        f"{len(unaligned)} photos MTCNN could not align were left out"
        f"{': ' + ', '.join(unaligned[:10]) if unaligned else ''}. The success stop's level is chosen from "
        f"these (`python -m tf_reconstruct.studies.success_level`)."))
    _histogram(out / "success_level.png", scores, rows)
    logging.info("median %.4f over %d pairs: %s", float(np.median(scores)), len(kept), out / "success_level.md")


if __name__ == "__main__":
    project_flags.define_success_level_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
