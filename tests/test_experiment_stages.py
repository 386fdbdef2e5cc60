"""The paper's experiment stage by stage, in this process, on 2 real LFW identities with a tiny budget:
select -> reconstruct -> score -> report, each with plain inputs and outputs. The run lists only ours_plus,
so ours_plus is its reference: Tables 1-2 score its faces and ours is never run."""

import json

import pytest

from conftest import require_shared_data
from tf_reconstruct.datasets import lfw
from tf_reconstruct.evaluation import experiment, methods
from tf_reconstruct.optimize import runner
from tf_reconstruct.optimize.settings import EngineSettings

pytestmark = [pytest.mark.models, pytest.mark.slow]


def test_each_stage_in_process_with_a_reference_other_than_ours(
        tmp_path, generator, extractor192, extractor512, tiny_bank):
    dataset = lfw.load_lfw(require_shared_data("lfw"))
    config = experiment.ExperimentConfig(
        run_dir=tmp_path / "run", num_identities=2, seed=0, eval_type="both", impostor_modes=("all",),
        engine_settings=EngineSettings(steps=2, resolution=32, batch_size=2), methods=("ours_plus",),
        baselines_dir=tiny_bank, max_reconstructions=1)
    (tmp_path / "run").mkdir()
    evaluators = [extractor192, extractor512]

    selection = experiment.select(dataset, config, [evaluator.name for evaluator in evaluators])
    assert len(selection.usable) == 2 and selection.modes == ["all"]
    assert all(images[0] in selection.faces for images in selection.usable.values())
    assert json.loads((tmp_path / "run" / "selection.json").read_text())["num_identities"] == 2

    # A chunk of one face, then the rest: the reference method's own folder, its records naming it.
    attack = experiment.reconstruct(selection, generator, extractor192, config)
    assert attack.reconstructed == 1 and set(attack.templates) == set(selection.usable)
    config.max_reconstructions = None
    attack = experiment.reconstruct(selection, generator, extractor192, config)
    assert attack.reconstructed == 1
    folder = methods.output_dir(tmp_path / "run", "ours_plus")
    records = [runner.read_record(folder, name) for name in selection.usable]
    assert all(record["method"] == "ours_plus" and record["start"]["kind"] == "bank" for record in records)
    assert not methods.output_dir(tmp_path / "run", "ours").exists()

    scores = experiment.score(selection, attack, dataset, extractor192, evaluators, config, generator.name)
    assert set(scores.finished) == set(selection.usable)
    assert set(scores.results) == {"mobilefacenet192", "mobilefacenet512"}
    assert [row["FAR %"] for row in scores.results["mobilefacenet192"]["all"]] == [0.0, 0.1, 1.0, 10.0]
    assert all("type_I_mobilefacenet512" in row for row in scores.per_identity.values())
    assert (tmp_path / "run" / "table1.csv").is_file() and (tmp_path / "run" / "table2_mobilefacenet512.csv").is_file()

    experiment.report(selection, attack, scores, dataset, generator, extractor192, evaluators, config, started=0.0)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["reference_method"] == "ours_plus" and manifest["identities_reconstructed_and_scored"] == 2
    fig5 = (tmp_path / "run" / "fig5_source_reconstruction_other.txt").read_text()
    assert fig5.startswith(f"columns: source photo, {methods.LABELS['ours_plus']}, another photo")
    header = (tmp_path / "run" / "per_identity.csv").read_text().splitlines()[0]
    assert "gender_reconstruction" in header
