"""Multi-start keeps the attempt with the lowest attacker loss, or renders the attempts' mean w+, and counts
the steps of every attempt."""

import numpy as np
import pytest

from tf_reconstruct.optimize import multi_start, runner, warm_starts
from tf_reconstruct.optimize.settings import EngineSettings


def test_choose_takes_the_lowest_best_loss_and_the_first_on_a_tie():
    assert multi_start.choose({"bank": {"best_loss": 0.2}, "mean": {"best_loss": 0.1}}) == "mean"
    assert multi_start.choose({"bank": {"best_loss": 0.1}, "mean": {"best_loss": 0.1}}) == "bank"


def test_average_is_the_elementwise_mean_of_the_attempts():
    attempts = np.array([[[0.0, 2.0]], [[1.0, 4.0]], [[2.0, 6.0]]])   # 3 attempts of a [1, 2] "w+"
    np.testing.assert_allclose(multi_start.average(attempts), [[1.0, 4.0]])


def test_an_unknown_combination_names_the_choices(tmp_path):
    with pytest.raises(ValueError, match="best, average"):
        multi_start.run(None, None, [], tmp_path, EngineSettings(), {}, combine="median")


@pytest.mark.models
def test_multi_start_copies_the_best_attempt_and_resumes(generator, extractor192, tmp_path):
    rng = np.random.default_rng(0)
    templates = [("a", rng.standard_normal(192).astype(np.float32)), ("b", rng.standard_normal(192).astype(np.float32))]
    # A start far from the mean: a random w+ drawn near w_avg.
    far = {name: (generator.mean_w_plus(1)[0] + rng.normal(0, 0.5, (generator.num_ws, 512))).astype(np.float32)
           for name, _ in templates}
    settings = EngineSettings(steps=3, patience=2, resolution=32, truncation=0.7, batch_size=2)
    far = warm_starts.Starts(far, {"kind": "far"})
    made = multi_start.run(generator, extractor192, templates, tmp_path, settings, {"mean": None, "far": far})
    assert made == 2
    for name, _ in templates:
        record = runner.read_record(tmp_path, name)
        losses = record["best_loss_by_start"]
        assert record["chosen_start"] == min(losses, key=losses.get)
        assert record["best_loss"] == min(losses.values())
        attempts = [runner.read_record(tmp_path / "starts" / kind, name)["steps"] for kind in ("mean", "far")]
        assert record["steps"] == sum(attempts) and record["steps_of_chosen"] in attempts
        assert record["start"] == {"kind": "multi", "chosen": record["chosen_start"],
                                   "kinds": {"mean": {"kind": "mean"}, "far": {"kind": "far"}}}
        assert np.array_equal(np.load(tmp_path / f"{name}_wplus.npy"),
                              np.load(tmp_path / "starts" / record["chosen_start"] / f"{name}_wplus.npy"))
    assert runner.seconds_per_step(tmp_path) > 0
    assert multi_start.run(generator, extractor192, templates, tmp_path, settings, {"mean": None, "far": far}) == 0


@pytest.mark.models
def test_average_renders_the_mean_of_shared_attempts(generator, extractor192, tmp_path):
    rng = np.random.default_rng(1)
    templates = [("a", rng.standard_normal(192).astype(np.float32))]
    far = {"a": (generator.mean_w_plus(1)[0] + rng.normal(0, 0.5, (generator.num_ws, 512))).astype(np.float32)}
    settings = EngineSettings(steps=3, patience=2, resolution=32, truncation=0.7, batch_size=1)
    far = warm_starts.Starts(far, {"kind": "far"})
    folders = {"mean": tmp_path / "attempts" / "mean", "far": tmp_path / "attempts" / "far"}
    best = multi_start.run(generator, extractor192, templates, tmp_path / "best", settings,
                           {"mean": None, "far": far}, attempt_dirs=folders)
    # The second combination finds every attempt made: it only renders.
    averaged = multi_start.run(generator, extractor192, templates, tmp_path / "average", settings,
                               {"mean": None, "far": far}, combine="average", attempt_dirs=folders)
    assert best == averaged == 1
    assert not (tmp_path / "best" / "starts").exists()
    record = runner.read_record(tmp_path / "average", "a")
    attempts = [np.load(folder / "a_wplus.npy") for folder in folders.values()]
    np.testing.assert_allclose(np.load(tmp_path / "average" / "a_wplus.npy"), np.mean(attempts, axis=0), atol=1e-6)
    assert record["combined"] == "average" and record["starts"] == ["mean", "far"]
    assert record["steps"] == sum(runner.read_record(folder, "a")["steps"] for folder in folders.values())
    assert -1.0 <= record["final_cosine"] <= 1.0
    assert (tmp_path / "average" / "a.png").is_file()
