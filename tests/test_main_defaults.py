"""main's default number of identities, on hand-made datasets."""

import json

import pytest

from tf_reconstruct import main
from tf_reconstruct.datasets.errors import DatasetError
from tf_reconstruct.evaluation import experiment
from tf_reconstruct.optimize.settings import EngineSettings


def test_the_paper_count_unless_fewer_are_eligible():
    many = {f"p{index}": ["a", "b"] for index in range(200)}
    assert main.default_count("lfw", many, "both") == 150
    assert main.default_count("ffhq", many, "I") == 50
    few = {"a": ["1", "2"], "b": ["1"], "c": ["1", "2", "3"]}
    assert main.default_count("lfw", few, "both") == 2      # type II needs a second photo
    assert main.default_count("lfw", few, "I") == 3


def test_identities_another_run_drew_are_not_counted():
    few = {"a": ["1", "2"], "b": ["1"], "c": ["1", "2", "3"]}
    assert main.default_count("lfw", few, "both", excluded={"c"}) == 1
    assert main.default_count("lfw", few, "I", excluded={"a", "b"}) == 1


def test_too_few_after_exclusion_names_the_exclusion(tmp_path):
    other = tmp_path / "other_run"
    other.mkdir()
    (other / "selection.json").write_text(json.dumps({"identities": {"a": ["1", "2"]}}))

    class Dataset:
        name, labelled = "tiny", True
        images_by_identity = {"a": ["1", "2"], "c": ["1", "2", "3"]}

    config = experiment.ExperimentConfig(run_dir=tmp_path / "run", num_identities=2, seed=0, eval_type="both",
                                         impostor_modes=("all",), engine_settings=EngineSettings(),
                                         exclude_identities_from=(other,))
    (tmp_path / "run").mkdir()
    with pytest.raises(DatasetError, match="only 1 identities .* leaving out the 1 identities"):
        experiment._select(Dataset(), config)
    assert not (tmp_path / "run" / "selection.json").exists()
