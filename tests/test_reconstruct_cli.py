"""The template-in, face-out CLI: bad input is refused before any work, and re-runs resume."""

import json

import numpy as np
import pytest

from tf_reconstruct.optimize import runner
from tf_reconstruct.optimize.settings import EngineSettings


@pytest.mark.models
def test_run_writes_every_output_and_resumes(generator, extractor192, tmp_path):
    templates = [("a", np.random.default_rng(0).standard_normal(192).astype(np.float32)),
                 ("b", np.random.default_rng(1).standard_normal(192).astype(np.float32))]
    # A learning rate of 0 and patience 1 stop every sample at step 2, well under the cap of 10: the record
    # must hold the steps used, not the cap.
    settings = EngineSettings(steps=10, patience=1, learning_rate=0.0, optimizer="sgd", schedule="constant",
                              space="wplus", init="mean", loss="mse", resolution=64, seed=0, batch_size=2)
    assert runner.run(generator, extractor192, templates[:1], tmp_path, settings) == 1
    first = (tmp_path / "a.json").read_text()
    assert runner.run(generator, extractor192, templates, tmp_path, settings) == 1  # only "b" is new
    assert (tmp_path / "a.json").read_text() == first
    for name in ("a", "b"):
        record = json.loads((tmp_path / f"{name}.json").read_text())
        assert record["steps"] == 2 and -1 <= record["final_cosine"] <= 1
        assert isinstance(record["best_loss"], float) and record["settings"]["loss"] == "mse"
        assert np.load(tmp_path / f"{name}_wplus.npy").shape == (generator.num_ws, 512)
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert not list(tmp_path.glob("*partial*"))
