"""End to end: `python -m tf_reconstruct.main` on 2 real LFW identities with a tiny step budget writes every
artefact, resumes without redoing work, and refuses a missing --data_dir with a clear message."""

import csv
import importlib.util
import json
import subprocess
import sys

import pytest

from cli_in_process import run_cli
from conftest import require_shared_data
from tf_reconstruct.optimize import runner

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _main(*args):
    """The README's command in a real process (its path, quiet start and exit status are the point)."""
    return subprocess.run([sys.executable, "-m", "tf_reconstruct.main", *args], capture_output=True, text=True,
                          timeout=900)


def test_main_runs_in_chunks_writes_every_artefact_and_resumes(tmp_path):
    data_dir = require_shared_data("lfw")
    args = ["--dataset=lfw", f"--data_dir={data_dir}", "--num_identities=2", "--steps=2", "--resolution=32",
            "--impostors=all", "--batch_size=2", f"--out_root={tmp_path}", "--run_name=smoke"]
    # A first chunk of one identity is scored on its own and says the run is partial.
    first = run_cli("tf_reconstruct.main", *args, "--max_reconstructions=1")
    assert first.returncode == 0, first.stderr[-3000:]
    run = tmp_path / "lfw" / "smoke"
    assert "1 identities (of 2 selected; the run is partial)" in (run / "table1.md").read_text()
    second = run_cli("tf_reconstruct.main", *args)
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
    if importlib.util.find_spec("dlib"):   # `make test` installs it: the third, non-ArcFace evaluator
        assert "minus the Euclidean distance" in (run / "table2_dlib_resnet128.md").read_text()
        assert (run / "histograms_dlib_resnet128_all.png").is_file()
        with (run / "table2_dlib_resnet128.csv").open() as handle:
            assert all(float(row["threshold"]) < 0 for row in csv.DictReader(handle))
    # FFHQ has no labels: type I only, also scored at this LFW run's thresholds.
    ffhq = _main("--dataset=ffhq", f"--data_dir={require_shared_data('ffhq_samples')}", "--num_identities=1",
                 "--steps=2", "--resolution=32", "--batch_size=1", f"--out_root={tmp_path}", "--run_name=smoke",
                 f"--thresholds_from={run}")
    assert ffhq.returncode == 0, ffhq.stderr[-3000:]
    with (tmp_path / "ffhq" / "smoke" / "table1.csv").open() as handle:
        ffhq_rows = list(csv.DictReader(handle))
    # One identity has no impostor pair of its own, so only the borrowed thresholds score it.
    assert [row["impostors"] for row in ffhq_rows] == ["lfw-all"] * 4
    assert [row["threshold"] for row in ffhq_rows] == [row["threshold"] for row in rows]
    assert "type II TAR %" not in ffhq_rows[0]


def test_missing_data_dir_is_a_clear_error(tmp_path):
    result = _main("--dataset=lfw", f"--data_dir={tmp_path / 'nowhere'}", f"--out_root={tmp_path}")
    assert result.returncode != 0
    assert "LFW not found" in result.stderr and "--data_dir" in result.stderr
    # Quiet: the error is all it prints, no TensorFlow info lines or library notices before it.
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: "), result.stderr
    feret = _main("--dataset=colorferet", f"--out_root={tmp_path}")
    assert feret.returncode != 0 and "nist.gov" in feret.stderr


def _records(folder):
    """The face records of a method's folder (its timing.json is not one)."""
    return [json.loads(path.read_text()) for path in folder.glob("*.json") if path.name != runner.TIMING_FILE]


def test_baselines_then_every_method_and_both_liveness_detectors(tmp_path):
    """train_baselines on 8 pairs, then main with every method: table3, table4, the ablation and both grids."""
    data_dir = require_shared_data("lfw")
    baselines = tmp_path / "baselines"
    trained = run_cli("tf_reconstruct.train_baselines", f"--baselines_dir={baselines}", "--pairs=8", "--shard_size=4",
                      "--mapping_epochs=1", "--nbnet_batch_size=4")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (baselines / "nbnet.weights.h5").is_file() and (baselines / "mapping_wplus.json").is_file()
    args = ["--dataset=lfw", f"--data_dir={data_dir}", "--num_identities=2", "--steps=2", "--resolution=32",
            "--impostors=all", "--batch_size=2", f"--out_root={tmp_path}", "--run_name=methods",
            f"--baselines_dir={baselines}",
            "--methods=ours,mapping,mapping_wplus,mapping_opt,nbnet,z_mean,w_mean,wplus_uniform,ours_plus",
            "--liveness=antispoof,faceplugin", "--eval_models=mobilefacenet192"]
    result = _main(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    # Quiet: no TensorFlow info lines or tensorflow-addons notice before the command's own output.
    assert "oneDNN" not in result.stderr and "TensorFlow Addons" not in result.stderr
    run = tmp_path / "lfw" / "methods"
    with (run / "table3.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    plus = "ours+ (bank start, EOT, spread, restarts)"
    assert {row["method"] for row in rows} == {"ours (W+ optimisation)", "Mapping (w)", "Mapping (w+)",
                                               "Mapping + optimisation", "NbNet", plus}
    variant = _records(run / "reconstructions_ours_plus")
    assert len(variant) == 2 and all(record["settings"]["augment_views"] == 4 and record["settings"]["face_check"]
                                     and record["settings"]["spread_penalty"] > 0 for record in variant)
    # Each record names how its face was made: the method and the start actually used (the bank, its size).
    from tf_reconstruct.baselines import training_pairs
    unmixed = int((training_pairs.load_store(baselines / "pairs", ("crossover",))["crossover"] >= 23).sum())
    assert all(record["method"] == "ours_plus" and record["start"]["kind"] == "bank"
               and record["start"]["bank_size"] == unmixed and record["start"]["neighbours"] == 8 for record in variant)
    assert all(float(row["s / face"]) > 0 for row in rows if row["method"] == plus)
    assert (run / "summary.md").is_file()
    assert all(0 <= float(row["type II TAR % per identity"]) <= 100 for row in rows)
    # Fig. 5 gains ours_plus's column: source, ours, ours_plus, another photo.
    fig5 = (run / "fig5_source_reconstruction_other.txt").read_text()
    assert fig5.startswith(f"columns: source photo, ours (W+ optimisation), {plus}, another photo")
    with (run / "resemblance.csv").open() as handle:
        resemblance = list(csv.DictReader(handle))
    assert resemblance[0]["faces"].startswith("real photos") and len(resemblance) == 1 + 9
    with (run / "per_identity.csv").open() as handle:
        assert {"gender_source", "gender_reconstruction", "age_difference"} <= set(next(csv.DictReader(handle)))
    assert all(row["identities"] == "2" and row["impostors"] == "all" for row in rows)
    assert {row["resolution"] for row in rows if row["method"] == "NbNet"} == {"160x160"}
    with (run / "table4.csv").open() as handle:
        liveness = list(csv.DictReader(handle))
    assert {row["detector"] for row in liveness} == {"antispoof", "faceplugin"}
    assert len(liveness) == 2 * 7 and all(int(row["count"]) == 2 for row in liveness)
    assert (run / "fig6_methods.png").stat().st_size > 1000
    with (run / "ablation.csv").open() as handle:
        ablation = list(csv.DictReader(handle))
    assert [row["method"] for row in ablation] == ["ours (W+ optimisation)", "Z, mean start", "W, mean start",
                                                   "W+, uniform start"]
    assert (run / "fig2_3_ablation.png").stat().st_size > 1000
    for method, space, init in (("z_mean", "z", "mean"), ("w_mean", "w", "mean"),
                                ("wplus_uniform", "wplus", "uniform")):
        records = _records(run / f"reconstructions_{method}")
        assert len(records) == 2 and all(record["settings"]["space"] == space and record["settings"]["init"] == init
                                         for record in records)
    for method in ("mapping", "mapping_wplus", "mapping_opt"):
        assert len(list((run / f"reconstructions_{method}").glob("*_wplus.npy"))) == 2
    # A re-run makes nothing new: every output and liveness score is reused.
    again = run_cli("tf_reconstruct.main", *args, "--max_reconstructions=0")
    assert again.returncode == 0, again.stderr[-3000:]
    made = json.loads((run / "manifest.json").read_text())["comparison_outputs_made_this_run"]
    assert set(made.values()) == {0}
    # An ablation-only re-run rewrites the ablation and keeps the methods' table3 as it was.
    table3 = (run / "table3.csv").read_bytes()
    unlisted = [arg for arg in args if not arg.startswith(("--methods", "--liveness"))]
    ablation_only = run_cli("tf_reconstruct.main", *unlisted, "--methods=ours,wplus_uniform", "--max_reconstructions=0")
    assert ablation_only.returncode == 0, ablation_only.stderr[-3000:]
    assert (run / "table3.csv").read_bytes() == table3
    with (run / "ablation.csv").open() as handle:
        assert [row["method"] for row in csv.DictReader(handle)] == ["ours (W+ optimisation)", "W+, uniform start"]
    # A re-run comparing fewer methods rescores those and keeps the others' rows, and the grid of all of them.
    grid = (run / "fig6_methods.png").read_bytes()
    fewer = run_cli("tf_reconstruct.main", *unlisted, "--methods=ours,nbnet", "--max_reconstructions=0")
    assert fewer.returncode == 0, fewer.stderr[-3000:]
    with (run / "table3.csv").open() as handle:
        after = list(csv.DictReader(handle))
    before = list(csv.DictReader(table3.decode().splitlines()))
    assert sorted(row["method"] for row in after) == sorted(row["method"] for row in before)
    assert [row for row in after if row["comparison"] == "mapping"] == [row for row in before
                                                                        if row["comparison"] == "mapping"]
    assert "kept from an earlier run" in (run / "table3.md").read_text()
    assert (run / "fig6_methods.png").read_bytes() == grid
