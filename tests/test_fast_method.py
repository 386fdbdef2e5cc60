"""The fast method (ours_fast, issue 35) end to end with conftest's tiny bank and a tiny step budget: through
`main` on 2 real LFW identities, and as the default of the template-in, face-out command; each face's record
names the method, both stages and the bank it started from."""

import csv
import json

import numpy as np
import pytest

from cli_in_process import run_cli
from conftest import require_shared_data
from tf_reconstruct.optimize import recipes, runner
from tf_reconstruct.optimize.settings import EngineSettings

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _face_records(folder):
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json")) if path.name != runner.TIMING_FILE]


def _check_fast_records(records, steps):
    assert records and all(record["method"] == "ours_fast" for record in records)
    for record in records:
        assert record["steps"] <= steps and record["steps"] == record["fine_steps"] + record["start"]["coarse_steps"]
        assert record["start"]["kind"] == "coarse" and record["start"]["coarse_start"]["kind"] == "bank"
        assert record["start"]["coarse_start"]["bank_pairs"] == 4   # conftest's tiny_bank
        # The whole settings: the flags given (--steps, --resolution, --batch_size) under the method's own.
        settings = recipes.settings_of("ours_fast", EngineSettings(steps=steps, resolution=32, batch_size=2))
        assert record["settings"] == settings.to_record()


def test_the_fast_method_runs_through_main(tmp_path, tiny_bank):
    data_dir = require_shared_data("lfw")
    done = run_cli("tf_reconstruct.main", "--dataset=lfw", f"--data_dir={data_dir}", "--num_identities=2",
                   "--steps=6", "--resolution=32", "--impostors=all", "--batch_size=2", f"--out_root={tmp_path}",
                   "--run_name=fast", f"--baselines_dir={tiny_bank}", "--methods=ours,ours_fast",
                   "--eval_models=mobilefacenet192,mobilefacenet512", "--noresemblance")
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / "lfw" / "fast"
    _check_fast_records(_face_records(run / "reconstructions_ours_fast"), 6)
    assert len(list((run / "reconstructions_ours_fast" / "coarse").glob("*_wplus.npy"))) == 2
    with (run / "table3.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["method"] == recipes.RECIPES["ours_fast"].label]
    assert rows and all(row["identities"] == "2" and float(row["s / face"]) > 0 for row in rows)


def test_the_fast_method_is_the_reconstruct_commands_default(tmp_path, tiny_bank):
    np.save(tmp_path / "db.npy", np.random.default_rng(4).standard_normal((2, 192)).astype(np.float32))
    out = tmp_path / "out"
    done = run_cli("tf_reconstruct.reconstruct", f"--templates={tmp_path / 'db.npy'}", f"--out_dir={out}",
                   f"--baselines_dir={tiny_bank}", "--steps=6", "--resolution=32", "--batch_size=2")
    assert done.returncode == 0, done.stderr[-3000:]
    _check_fast_records(_face_records(out), 6)
    # Without a bank it says what to make, before any face is made.
    missing = run_cli("tf_reconstruct.reconstruct", f"--templates={tmp_path / 'db.npy'}",
                      f"--out_dir={tmp_path / 'none'}", f"--baselines_dir={tmp_path / 'no_bank'}", "--steps=6")
    assert missing.returncode != 0 and "train_baselines" in missing.stderr.strip().splitlines()[-1]
    assert not list((tmp_path / "none").glob("*.png"))
