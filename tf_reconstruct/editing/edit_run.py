"""An edit or a normalisation of many latents, written as images, a grid, and a table.

    edit_latents(models, latents, attribute, strengths, conditions, rows, out_dir) -> rows of edits.csv
    normalize_latents(models, latents, out_dir, max_iterations) -> rows of normalized.csv

`models` is an EditModels: the generator, the boundaries {attribute: Boundary}, the attribute classifiers
that read every result, and an identity extractor that says how much of the person an edit keeps (cosine
between the MTCNN-aligned edited face and the unedited one). Each latent's results are kept in
<out_dir>/records/<name>.json as soon as it is done, so a long run resumes where it stopped.
"""

import dataclasses
import json
import pathlib

import cv2
import numpy as np
from absl import logging

from tf_reconstruct import atomic_files
from tf_reconstruct.editing import directions, normalize, render
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.metrics import verification
from tf_reconstruct.plots.image_grid import make_grid, save_png


@dataclasses.dataclass
class EditModels:
    generator: object
    boundaries: dict      # {attribute: editing.boundaries.Boundary}
    classifiers: list     # attributes.classifiers.Classifier
    identity: object      # a models.registry.Extractor, or None to skip the identity column
    resolution: int = 1024
    tile_size: int = 192


def _template(extractor, image, name):
    """The extractor's template of one rendered face, None where MTCNN finds no face."""
    row = render.embed([image], {name: extractor})[name][0]
    return row if np.all(np.isfinite(row)) else None


def _cosine(first, second):
    if first is None or second is None:
        return float("nan")
    return float(verification.cosine_rows(first[None], second[None])[0])


def _read(path):
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{path} is missing although its record exists: delete the record to redo it")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _done(out_dir, name):
    path = pathlib.Path(out_dir) / "records" / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _keep(out_dir, name, record):
    atomic_files.write_text(pathlib.Path(out_dir) / "records" / f"{name}.json", json.dumps(record, indent=1))


def edit_latents(models, latents, attribute, strengths, conditions, rows, out_dir):
    """Moves each (name, w+) of `latents` by every strength along `attribute`'s normal (conditioned on the
    `conditions` attributes) in w+ `rows`; returns the table rows (one per latent and strength)."""
    out_dir = pathlib.Path(out_dir)
    normal = directions.conditioned(models.boundaries[attribute].normal,
                                    [models.boundaries[condition].normal for condition in conditions])
    table, tiles = [], []
    for name, w_plus in latents:
        record = _done(out_dir, name)
        stems = [f"{name}_{attribute}_{strength:+g}" for strength in strengths]
        if record is not None and [edit["strength"] for edit in record["edits"]] == list(strengths):
            images = [_read(out_dir / "images" / f"{stem}.png") for stem in stems]
        else:
            record = None
            images = render.render(models.generator, directions.edit(w_plus, normal, strengths, rows),
                                   models.resolution)
        if record is None:
            values = render.measure(images, models.classifiers)
            base = None
            if models.identity is not None:
                base = _template(models.identity, render.render(models.generator, w_plus[None], models.resolution)[0],
                                 f"{name} unedited")
            record = {"name": name, "edits": []}
            for strength, stem, image, measured in zip(strengths, stems, images, values):
                save_png(image, out_dir / "images" / f"{stem}.png")
                identity = _template(models.identity, image, stem) if models.identity is not None else None
                record["edits"].append({"strength": strength, **measured, "identity cosine": _cosine(identity, base)})
            _keep(out_dir, name, record)
            logging.info("edited %s", name)
        tiles.extend(images)
        table.extend({"name": name, "attribute": attribute, "conditions": "+".join(conditions) or "none", **edit}
                     for edit in record["edits"])
    save_png(make_grid(np.stack(tiles), len(strengths), models.tile_size), out_dir / f"grid_{attribute}.png")
    report_files.write_table(out_dir / f"edits_{attribute}", table,
                             f"Edits along {attribute} (conditions: {', '.join(conditions) or 'none'}; rows {rows[0]}-"
                             f"{rows[-1]} of w+); every attribute as the classifiers read the edited face, and the "
                             f"identity cosine to the unedited face.")
    return table


def normalize_latents(models, latents, out_dir, max_iterations=8, rows=None):
    """Normalises each (name, w+) (normalize.normalize with the real classifiers); returns the table rows."""
    out_dir = pathlib.Path(out_dir)
    measurer = render.Measurer(models.generator, models.classifiers, resolution=256)
    table, tiles = [], []
    for name, w_plus in latents:
        record = _done(out_dir, name)
        if record is None:
            best, history = normalize.normalize(w_plus, measurer, models.boundaries, max_iterations=max_iterations,
                                                rows=rows)
            with atomic_files.replacing(out_dir / "latents" / f"{name}_normalized_wplus.npy") as temporary:
                with open(temporary, "wb") as handle:
                    np.save(handle, best)
            images = render.render(models.generator, np.stack([w_plus, best]), models.resolution)
            save_png(images[1], out_dir / "images" / f"{name}_normalized.png")
            identity = float("nan")
            if models.identity is not None:
                identity = _cosine(_template(models.identity, images[1], f"{name} normalised"),
                                   _template(models.identity, images[0], f"{name} before"))
            record = {"name": name, "before": history[0], "after": measurer(best), "iterations": len(history) - 1,
                      "identity cosine": identity}
            _keep(out_dir, name, record)
        else:
            images = render.render(models.generator, np.stack(
                [w_plus, np.load(out_dir / "latents" / f"{name}_normalized_wplus.npy")]), models.resolution)
        tiles.extend(images)
        row = {"name": name, "iterations": record["iterations"], "identity cosine": record["identity cosine"]}
        for attribute in normalize.DEFAULT_TARGETS:
            row[f"{attribute} before"] = record["before"][attribute]
            row[f"{attribute} after"] = record["after"][attribute]
        table.append(row)
    save_png(make_grid(np.stack(tiles), 2, models.tile_size), out_dir / "grid_normalized.png")
    report_files.write_table(out_dir / "normalized", table, "Normalisation (yaw, pitch and smile into their bands, "
                             "editing/normalize.py): each attribute before and after, and the identity cosine.")
    return table
