"""Coarse to fine (issue 35): the coarse stage runs at its resolution up to the step it names, the fine stage
starts from the coarse w+ exactly, and each record describes the whole face; resumable; and the method's
s / face counts each stage at its own cost."""

import json

import numpy as np
import pytest

from tf_reconstruct.optimize import coarse_to_fine, runner
from tf_reconstruct.optimize.settings import EngineSettings, SettingsError


def test_stages_split_the_settings_at_the_named_step():
    settings = EngineSettings(resolution=512, coarse_scale=2, coarse_steps=150, steps=2000, augment=1.0,
                              augment_views=4)
    coarse, fine = coarse_to_fine.stages(settings)
    assert (coarse.resolution, coarse.steps, fine.resolution, fine.steps) == (256, 150, 512, 1850)
    # Everything else is the method's, and neither stage is coarse to fine again.
    assert coarse.differences(settings) == {"resolution": (256, 512), "steps": (150, 2000),
                                            "coarse_scale": (1, 2), "coarse_steps": (0, 150)}
    assert fine.coarse_scale == 1 and fine.augment_views == 4
    # A cap beyond the steps leaves the fine stage 2 (a recipe's cap holds under a small --steps).
    coarse, fine = coarse_to_fine.stages(settings.replace(steps=100, coarse_steps=300))
    assert (coarse.steps, fine.steps) == (98, 2)
    # The success stop holds coarse_success_steps in the coarse stage, success_steps in the fine one.
    coarse, fine = coarse_to_fine.stages(settings.replace(success_cosine=0.9, success_steps=10,
                                                          coarse_success_steps=30))
    assert (coarse.success_steps, fine.success_steps, coarse.coarse_success_steps) == (30, 10, 0)
    coarse, fine = coarse_to_fine.stages(settings.replace(success_cosine=0.9, success_steps=10))
    assert (coarse.success_steps, fine.success_steps) == (10, 10)
    with pytest.raises(SettingsError, match="coarse_steps >= 2"):
        EngineSettings(coarse_scale=2, coarse_steps=1)
    with pytest.raises(SettingsError, match="steps >= 4"):
        EngineSettings(coarse_scale=2, coarse_steps=2, steps=3)
    with pytest.raises(SettingsError, match="power of two"):
        EngineSettings(resolution=256, coarse_scale=3, coarse_steps=10)
    with pytest.raises(SettingsError, match="16 px or more"):
        EngineSettings(resolution=32, coarse_scale=4, coarse_steps=10)


@pytest.mark.models
def test_two_stages_hand_over_the_w_plus_exactly_record_the_whole_face_and_resume(
        tmp_path, generator, extractor192, monkeypatch):
    rng = np.random.default_rng(7)
    templates = [(name, rng.standard_normal(192).astype(np.float32)) for name in ("a", "b")]
    settings = EngineSettings(steps=7, patience=50, resolution=64, coarse_scale=2, coarse_steps=3,
                              batch_size=2)
    with pytest.raises(SettingsError, match="two stages"):
        runner.run(generator, extractor192, templates, tmp_path / "one", settings)
    handed = {}
    real_run = runner.run

    def spying_run(*args, **kwargs):
        if kwargs.get("starts") is not None and kwargs["starts"].how["kind"] == "coarse":
            handed.update(kwargs["starts"].latents)
        return real_run(*args, **kwargs)
    monkeypatch.setattr(runner, "run", spying_run)
    out = tmp_path / "c2f"
    assert coarse_to_fine.run(generator, extractor192, templates, out, settings, method="ours") == 2
    for name, _ in templates:
        coarse = runner.read_record(out / "coarse", name)
        # The coarse stage: its resolution, capped at the named step (patience never ends it here).
        assert coarse["settings"]["resolution"] == 32 and coarse["steps"] == 3 and coarse["stopped_by"] == "cap"
        np.testing.assert_array_equal(handed[name], np.load(out / "coarse" / f"{name}_wplus.npy"))
        record = runner.read_record(out, name)
        assert record["fine_settings"]["resolution"] == 64 and record["fine_steps"] == 4     # 7 - 3 left
        assert record["steps"] == 3 + 4 and EngineSettings.from_record(record["settings"]) == settings
        assert record["start"]["kind"] == "coarse" and record["start"]["coarse_steps"] == 3
        assert record["start"]["coarse_start"] == {"kind": "mean"} and record["method"] == "ours"
        assert not np.array_equal(np.load(out / f"{name}_wplus.npy"), handed[name])   # the fine stage moved it
    # Resume: a lost face is made again from its kept coarse stage; no record is counted twice.
    before = runner.read_record(out, "a")
    for suffix in (".json", ".png", "_wplus.npy"):
        (out / f"b{suffix}").unlink()
    coarse_b = (out / "coarse" / "b.json").read_bytes()
    assert coarse_to_fine.run(generator, extractor192, templates, out, settings, method="ours") == 1
    assert (out / "coarse" / "b.json").read_bytes() == coarse_b
    assert runner.read_record(out, "a") == before and runner.read_record(out, "b")["steps"] == 7
    assert coarse_to_fine.run(generator, extractor192, templates, out, settings, method="ours") == 0


def test_a_record_left_uncounted_by_an_interruption_is_counted_on_the_next_run(tmp_path):
    out = tmp_path / "run"
    settings = EngineSettings(resolution=64, coarse_scale=2, coarse_steps=3, steps=7)
    fine_settings = coarse_to_fine.stages(settings)[1].to_record()
    for folder, steps, extra in ((out / "coarse", 3, {}), (out, 4, {"settings": fine_settings})):
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "a_wplus.npy", np.zeros((23, 512), np.float32))
        runner.write_record(folder, "a", {"steps": steps, **extra})
    coarse_to_fine._record_both_stages(out, out / "coarse", ["a"], settings)
    coarse_to_fine._record_both_stages(out, out / "coarse", ["a"], settings)
    record = json.loads((out / "a.json").read_text())
    assert (record["steps"], record["fine_steps"]) == (7, 4) and record["fine_settings"] == fine_settings


def test_seconds_per_face_counts_each_stage_at_its_own_cost(tmp_path):
    from tf_reconstruct.evaluation import comparison, methods
    folder = methods.output_dir(tmp_path, "fast")
    (folder / "coarse").mkdir(parents=True)
    # Fine steps cost 0.5 s, coarse 0.2 s (by each stage's timing.json); faces: 10 + 30 and 20 + 50 steps.
    for place, steps, seconds in ((folder, 80, 40.0), (folder / "coarse", 30, 6.0)):
        (place / runner.TIMING_FILE).write_text(json.dumps([{"faces": 2, "steps": steps, "seconds": seconds}]))
    for name, coarse, fine in (("a", 10, 30), ("b", 20, 50)):
        runner.write_record(folder, name, {"steps": coarse + fine, "fine_steps": fine})
    # mean fine 40 x 0.5 + mean coarse 15 x 0.2
    assert comparison._seconds_per_face(tmp_path, "fast", ["a", "b"]) == pytest.approx(20 + 3)
    plain = methods.output_dir(tmp_path, "ours")
    plain.mkdir(parents=True)
    (plain / runner.TIMING_FILE).write_text(json.dumps([{"faces": 1, "steps": 10, "seconds": 5.0}]))
    runner.write_record(plain, "a", {"steps": 10})
    assert comparison._seconds_per_face(tmp_path, "ours", ["a"]) == pytest.approx(5.0)


@pytest.mark.models
def test_the_reconstruct_command_runs_coarse_to_fine_in_its_shard_jobs(tmp_path, generator):
    from cli_in_process import run_cli
    np.save(tmp_path / "db.npy", np.random.default_rng(3).standard_normal((2, 192)).astype(np.float32))
    out = tmp_path / "out"
    done = run_cli("tf_reconstruct.reconstruct", f"--templates={tmp_path / 'db.npy'}", f"--out_dir={out}",
                   "--method=ours", "--steps=6", "--resolution=64", "--coarse_scale=2", "--coarse_steps=3", "--batch_size=2",
                   "--success_cosine=0.99", "--success_steps=2")
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(path.read_text()) for path in sorted(out.glob("*.json")) if path.name != runner.TIMING_FILE]
    assert len(records) == 2 and all(record["start"]["kind"] == "coarse" and record["steps"] == 6 for record in records)
    assert all(EngineSettings.from_record(record["settings"]).coarse_scale == 2 for record in records)
    assert len(list((out / "coarse").glob("*_wplus.npy"))) == 2
