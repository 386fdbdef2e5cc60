"""Multi-start keeps the attempt with the lowest attacker loss and counts the steps of every attempt."""

import numpy as np
import pytest

from tf_reconstruct.optimize import multi_start, runner


def test_choose_takes_the_lowest_best_loss_and_the_first_on_a_tie():
    assert multi_start.choose({"bank": {"best_loss": 0.2}, "mean": {"best_loss": 0.1}}) == "mean"
    assert multi_start.choose({"bank": {"best_loss": 0.1}, "mean": {"best_loss": 0.1}}) == "bank"


@pytest.mark.models
def test_multi_start_copies_the_best_attempt_and_resumes(generator, extractor192, tmp_path):
    rng = np.random.default_rng(0)
    templates = [("a", rng.standard_normal(192).astype(np.float32)), ("b", rng.standard_normal(192).astype(np.float32))]
    # A start far from the mean: a random w+ drawn near w_avg.
    far = {name: (generator.mean_w_plus(1)[0] + rng.normal(0, 0.5, (generator.num_ws, 512))).astype(np.float32)
           for name, _ in templates}
    settings = {"steps": 3, "patience": 2, "resolution": 32, "truncation": 0.7}
    made = multi_start.run(generator, extractor192, templates, tmp_path, 2, settings, {"mean": None, "far": far})
    assert made == 2
    for name, _ in templates:
        record = runner.read_record(tmp_path, name)
        losses = record["best_loss_by_start"]
        assert record["chosen_start"] == min(losses, key=losses.get)
        assert record["best_loss"] == min(losses.values())
        attempts = [runner.read_record(tmp_path / "starts" / kind, name)["steps"] for kind in ("mean", "far")]
        assert record["steps"] == sum(attempts) and record["steps_of_chosen"] in attempts
        assert np.array_equal(np.load(tmp_path / f"{name}_wplus.npy"),
                              np.load(tmp_path / "starts" / record["chosen_start"] / f"{name}_wplus.npy"))
    assert runner.seconds_per_step(tmp_path) > 0
    assert multi_start.run(generator, extractor192, templates, tmp_path, 2, settings, {"mean": None, "far": far}) == 0
