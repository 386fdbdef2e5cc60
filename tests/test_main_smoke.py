"""End to end: `python -m tf_reconstruct.main` on 2 real LFW identities with a tiny step budget writes every
artefact, resumes without redoing work, and refuses a missing --data_dir with a clear message."""

import csv
import json
import subprocess
import sys

import pytest

from conftest import require_shared_data

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _main(*args):
    return subprocess.run([sys.executable, "-m", "tf_reconstruct.main", *args], capture_output=True, text=True,
                          timeout=900)


def test_main_runs_in_chunks_writes_every_artefact_and_resumes(tmp_path):
    data_dir = require_shared_data("lfw")
    args = ["--dataset=lfw", f"--data_dir={data_dir}", "--num_identities=2", "--steps=2", "--resolution=32",
            "--impostors=all", "--batch_size=2", f"--out_root={tmp_path}", "--run_name=smoke"]
    # A first chunk of one identity is scored on its own and says the run is partial.
    first = _main(*args, "--max_reconstructions=1")
    assert first.returncode == 0, first.stderr[-3000:]
    run = tmp_path / "lfw" / "smoke"
    assert "1 identities (of 2 selected; the run is partial)" in (run / "table1.md").read_text()
    second = _main(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    for name in ("selection.json", "manifest.json", "per_identity.csv", "table1.md", "table1.csv",
                 "table2_mobilefacenet512.md", "table2_mobilefacenet512.csv", "histograms_mobilefacenet192_all.png",
                 "histograms_mobilefacenet512_all.png", "fig5_source_reconstruction_other.png"):
        assert (run / name).is_file() and (run / name).stat().st_size > 100, name
    with (run / "table1.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["FAR %"]) for row in rows] == [0.0, 0.1, 1.0, 10.0]
    assert {"threshold", "normal TAR %", "type I TAR %", "type II TAR %"} <= set(rows[0])
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["identities_reconstructed_and_scored"] == 2 and manifest["reconstructed_this_run"] == 1
    assert len(list((run / "reconstructions").glob("*.png"))) == 2
    assert "partial" not in (run / "table1.md").read_text()
    assert "/ 96.04" in (run / "table1_vs_paper_all.md").read_text()   # the paper's type II TAR at FAR 0.1%


def test_missing_data_dir_is_a_clear_error(tmp_path):
    result = _main("--dataset=lfw", f"--data_dir={tmp_path / 'nowhere'}", f"--out_root={tmp_path}")
    assert result.returncode != 0
    assert "LFW not found" in result.stderr and "--data_dir" in result.stderr
    feret = _main("--dataset=colorferet", f"--out_root={tmp_path}")
    assert feret.returncode != 0 and "nist.gov" in feret.stderr
