"""The state of faces still being optimised, kept beside a run's finished faces so that an interrupted run
goes on mid-face: <out_dir>/in_flight.npz, rewritten atomically at every checkpoint, removed when the run ends.

    save(path, states, context, layout=None) states: {name: optimize.slots.in_flight_state(...)}
    load(path, context) -> {name: state}     only the faces whose template, start and settings still match
    layout_of(path) -> the batch at the save: {"size", "owner": [name or "" per slot], "pending": [name]}

`context` is {"run": what must not change (generator, extractor, engine settings), "templates": {name: [D]},
"starts": {name: [num_ws, 512]} or None}. The file is a cache: a stale, mismatched or unreadable one is
logged and ignored (those faces start again), never fatal.
"""

import json
import pathlib

import numpy as np
from absl import logging

from tf_reconstruct import atomic_files

FILE_NAME = "in_flight.npz"
_ARRAYS = ("latent", "best_latent", "best_loss", "stale_steps", "active", "steps_taken")


def _run_key(context):
    return json.dumps(context["run"], sort_keys=True, default=str)


def save(path, states, context, layout=None):
    """Writes every running face's state, its template and start, the run it belongs to and, when given,
    the batch's layout (for a bit-exact resume, optimize/runner.py)."""
    path = pathlib.Path(path)
    arrays = {"names": np.array(sorted(states), dtype=str), "run": np.array(_run_key(context))}
    if layout is not None:
        arrays["layout"] = np.array(json.dumps(layout))
    for number, name in enumerate(sorted(states)):
        state = states[name]
        for field in _ARRAYS:
            arrays[f"{number}/{field}"] = np.asarray(state[field])
        arrays[f"{number}/attempts"] = np.array(state["attempts"], np.int32)
        arrays[f"{number}/curve"] = np.array(state["curve"], np.float64)
        arrays[f"{number}/template"] = np.asarray(context["templates"][name], np.float32)
        if context.get("starts") is not None:
            arrays[f"{number}/start"] = np.asarray(context["starts"][name], np.float32)
        if state.get("earlier") is not None:
            loss, latent, steps = state["earlier"]
            arrays[f"{number}/earlier_loss"] = np.array(loss, np.float64)
            arrays[f"{number}/earlier_latent"] = np.asarray(latent)
            arrays[f"{number}/earlier_steps"] = np.array(steps, np.int64)
    with atomic_files.replacing(path) as temporary:
        np.savez(temporary, **arrays)


def _same(saved, wanted):
    wanted = np.asarray(wanted, np.float32)
    return saved.shape == wanted.shape and np.allclose(saved, wanted, rtol=1e-5, atol=1e-6)


def load(path, context):
    """{name: state} of the saved faces that can go on: same run, and for each, the same template and start."""
    path = pathlib.Path(path)
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["run"]) != _run_key(context):
                logging.warning("%s was saved by another generator, extractor or engine setting: its running "
                                "faces start again", path)
                return {}
            states = {}
            for number, name in enumerate(saved["names"].tolist()):
                if name not in context["templates"]:
                    continue
                template_ok = _same(saved[f"{number}/template"], context["templates"][name])
                start_ok = context.get("starts") is None or (
                    f"{number}/start" in saved and _same(saved[f"{number}/start"], context["starts"][name]))
                if not (template_ok and start_ok):
                    logging.warning("%s: %s has another template or start now: it starts again", path, name)
                    continue
                state = {field: saved[f"{number}/{field}"] for field in _ARRAYS}
                state["attempts"] = int(saved[f"{number}/attempts"])
                state["curve"] = saved[f"{number}/curve"].tolist()
                state["earlier"] = ((float(saved[f"{number}/earlier_loss"]), saved[f"{number}/earlier_latent"],
                                     int(saved[f"{number}/earlier_steps"]))
                                    if f"{number}/earlier_loss" in saved else None)
                states[name] = state
            return states
    except (OSError, ValueError, KeyError) as error:
        logging.warning("%s is unreadable (%s): its running faces start again; delete it to silence this",
                        path, error)
        return {}


def layout_of(path):
    """The batch layout saved with the states, or None (no file, an older file, or an unreadable one)."""
    try:
        with np.load(pathlib.Path(path), allow_pickle=False) as saved:
            return json.loads(str(saved["layout"])) if "layout" in saved else None
    except (OSError, ValueError, KeyError):
        return None
