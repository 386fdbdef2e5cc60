"""An interrupted reconstruction goes on mid-face from its last checkpoint, as if it had never stopped."""

import json

import numpy as np
import pytest

from tf_reconstruct.optimize import in_flight, reconstruct as engine, runner
from tf_reconstruct.optimize.settings import EngineSettings


class Interrupted(Exception):
    pass


def _interrupt_at_first_checkpoint(kept):
    def on_checkpoint(states, layout):
        kept.update(states)
        raise Interrupted
    return on_checkpoint


def _assert_same_path(resumed, uninterrupted):
    assert resumed.steps == uninterrupted.steps and resumed.restarts == uninterrupted.restarts
    # Round-off differs with the batch's make-up (see test_reconstruct's refill test); a lost or stale state
    # would differ by orders of magnitude.
    np.testing.assert_allclose(resumed.loss_curve, uninterrupted.loss_curve, rtol=2e-2)
    np.testing.assert_allclose(resumed.w_plus, uninterrupted.w_plus, atol=5e-2)


@pytest.mark.models
@pytest.mark.slow
def test_a_stream_resumed_from_a_checkpoint_follows_the_uninterrupted_path(generator, extractor192):
    targets = np.random.default_rng(11).standard_normal((3, 192)).astype(np.float32) * 3
    settings = EngineSettings(truncation=1.0, steps=9, patience=3, learning_rate=0.01, resolution=32, batch_size=2)
    quiet = dict(render_final=False, log_every=0)
    whole, _, _ = engine.reconstruct_stream(generator, extractor192, targets, settings, **quiet)
    kept = {}
    with pytest.raises(Interrupted):
        engine.reconstruct_stream(generator, extractor192, targets, settings, **quiet, checkpoints=engine.Checkpoints(
            4, _interrupt_at_first_checkpoint(kept)))
    assert sorted(kept) == [0, 1] and all(int(state["steps_taken"]) == 4 for state in kept.values())
    assert all(len(state["curve"]) == 4 for state in kept.values())
    resumed, _, _ = engine.reconstruct_stream(generator, extractor192, targets, settings, resume=engine.Resume(kept),
                                              **quiet)
    for index in range(3):
        _assert_same_path(resumed[index], whole[index])


@pytest.mark.models
@pytest.mark.slow
def test_a_sample_interrupted_after_a_restart_keeps_its_earlier_attempt(generator, extractor192):
    # A huge target overshoots at once (test_reconstruct), so the sample restarts; the checkpoint is taken
    # one step into its second attempt.
    target = np.random.default_rng(7).standard_normal((1, 192)).astype(np.float32) * 300
    settings = EngineSettings(truncation=1.0, steps=7, patience=2, learning_rate=0.01, resolution=32, restarts=1,
                              batch_size=1)
    quiet = dict(render_final=False, log_every=0)
    (whole,), _, _ = engine.reconstruct_stream(generator, extractor192, target, settings, **quiet)
    assert whole.restarts == 1, "the fixture must restart"
    first_attempt = engine.reconstruct(generator, extractor192, target, settings, restarts=0, **quiet).steps[0]
    kept = {}
    with pytest.raises(Interrupted):
        engine.reconstruct_stream(generator, extractor192, target, settings, **quiet, checkpoints=engine.Checkpoints(
            int(first_attempt) + 1, _interrupt_at_first_checkpoint(kept)))
    assert kept[0]["attempts"] == 1 and kept[0]["earlier"] is not None
    (resumed,), _, _ = engine.reconstruct_stream(generator, extractor192, target, settings, resume=engine.Resume(kept),
                                                 **quiet)
    _assert_same_path(resumed, whole)
    assert resumed.loss == pytest.approx(whole.loss, rel=1e-4)


@pytest.mark.models
def test_resume_and_checkpoints_are_refused_with_adam(generator, extractor192):
    target = np.ones((1, 192), np.float32)
    with pytest.raises(ValueError, match="sgd"):
        engine.reconstruct_stream(generator, extractor192, target, EngineSettings(optimizer="adam"),
                                  checkpoints=engine.Checkpoints(5, print))
    with pytest.raises(ValueError, match="outside"):
        engine.reconstruct_stream(generator, extractor192, target, resume=engine.Resume({3: {}}))


def _state(seed, steps):
    rng = np.random.default_rng(seed)
    return {"latent": rng.standard_normal((2, 512)).astype(np.float32),
            "best_latent": rng.standard_normal((2, 512)).astype(np.float32), "best_loss": np.float32(0.5),
            "stale_steps": np.int32(1), "active": np.bool_(True), "steps_taken": np.int32(steps), "attempts": 0,
            "curve": [0.9, 0.7, 0.5][:steps], "earlier": None}


def test_the_file_keeps_only_faces_whose_run_template_and_start_still_match(tmp_path):
    templates = {"a": np.ones(4, np.float32), "b": np.full(4, 2.0, np.float32)}
    context = {"run": {"generator": "g", "settings": {"steps": 9}}, "templates": templates, "starts": None}
    path = tmp_path / in_flight.FILE_NAME
    states = {"a": _state(0, 3), "b": {**_state(1, 2), "attempts": 1,
                                       "earlier": (0.25, np.zeros((2, 512), np.float32), 60)}}
    in_flight.save(path, states, context)
    loaded = in_flight.load(path, context)
    assert sorted(loaded) == ["a", "b"]
    np.testing.assert_array_equal(loaded["a"]["latent"], states["a"]["latent"])
    assert loaded["a"]["curve"] == pytest.approx([0.9, 0.7, 0.5]) and loaded["a"]["earlier"] is None
    assert loaded["b"]["attempts"] == 1 and loaded["b"]["earlier"][0] == 0.25 and loaded["b"]["earlier"][2] == 60
    # Another template for b: only a goes on. Another engine setting: nothing does.
    assert sorted(in_flight.load(path, {**context, "templates": {**templates, "b": -templates["b"]}})) == ["a"]
    assert in_flight.load(path, {**context, "run": {"generator": "g", "settings": {"steps": 10}}}) == {}
    # A start is checked when the run has warm starts.
    starts = {"a": np.zeros((2, 512), np.float32), "b": np.zeros((2, 512), np.float32)}
    in_flight.save(path, states, {**context, "starts": starts})
    assert sorted(in_flight.load(path, {**context, "starts": {**starts, "a": starts["a"] + 1}})) == ["b"]
    # A corrupt file is a cache miss, not a crash.
    path.write_bytes(b"not an npz")
    assert in_flight.load(path, context) == {}
    assert in_flight.load(tmp_path / "absent.npz", context) == {}


@pytest.mark.models
@pytest.mark.slow
def test_an_interrupted_run_goes_on_mid_face_and_cleans_up(tmp_path, generator, extractor192, monkeypatch):
    templates = [(name, np.random.default_rng(seed).standard_normal(192).astype(np.float32) * 3)
                 for seed, name in enumerate(["a", "b"])]
    settings = EngineSettings(truncation=1.0, steps=6, patience=50, learning_rate=0.01, resolution=32, batch_size=2)
    every3 = runner.RunOptions(checkpoint_every=3)
    assert runner.run(generator, extractor192, templates, tmp_path / "whole", settings, options=every3) == 2
    assert not (tmp_path / "whole" / in_flight.FILE_NAME).exists()

    real_save = in_flight.save

    def save_then_stop(*args):
        real_save(*args)
        raise Interrupted
    monkeypatch.setattr(in_flight, "save", save_then_stop)
    with pytest.raises(Interrupted):
        runner.run(generator, extractor192, templates, tmp_path / "cut", settings, options=every3)
    monkeypatch.setattr(in_flight, "save", real_save)
    assert (tmp_path / "cut" / in_flight.FILE_NAME).is_file() and not runner.is_done(tmp_path / "cut", "a")
    assert runner.run(generator, extractor192, templates, tmp_path / "cut", settings, options=every3) == 2
    assert not (tmp_path / "cut" / in_flight.FILE_NAME).exists()
    for name, _ in templates:
        record = json.loads((tmp_path / "cut" / f"{name}.json").read_text())
        assert record["resumed_from_evaluation"] == 3 and record["steps"] == 6
        np.testing.assert_allclose(np.load(tmp_path / "cut" / f"{name}_wplus.npy"),
                                   np.load(tmp_path / "whole" / f"{name}_wplus.npy"), atol=1e-4)
