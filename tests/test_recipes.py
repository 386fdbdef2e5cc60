"""The named methods beyond the paper: ours stays the paper's engine, a recipe changes only its settings, and
a missing prior is a clear error."""

import json

import numpy as np
import pytest
from absl import logging

from tf_reconstruct.baselines.training_pairs import PairStoreError
from tf_reconstruct.optimize import recipes
from tf_reconstruct.optimize.settings import EngineSettings

BASE = EngineSettings(steps=1500, resolution=256)   # a user's flags: every recipe builds on them


def test_ours_is_the_settings_as_given():
    assert recipes.settings_of("ours", BASE) == BASE


def test_a_recipe_changes_only_what_it_names():
    settings = recipes.settings_of("ours_bank_eot_spread", BASE)
    assert set(settings.differences(BASE)) == {"augment", "augment_views", "spread_penalty"}
    assert recipes.RECIPES["ours_bank_eot_spread"].start == "bank"


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_every_recipe_differs_from_ours_only_where_it_says(name):
    changes = recipes.RECIPES[name].changes
    settings = recipes.settings_of(name, BASE)
    assert settings.differences(BASE) == {key: (value, getattr(BASE, key)) for key, value in changes.items()
                                          if getattr(BASE, key) != value}
    assert all(getattr(settings, key) == value for key, value in changes.items())
    # And the settings survive a record (JSON) whole.
    import json
    assert EngineSettings.from_record(json.loads(json.dumps(settings.to_record()))) == settings


def test_unknown_method_and_start_name_the_choices():
    with pytest.raises(ValueError, match="ours_bank"):
        recipes.settings_of("ours_magic", BASE)
    with pytest.raises(ValueError, match="mean, bank, bank_nearest, mapping"):
        recipes.warm_start_latents("noise", None, "mobilefacenet192", "nowhere", {"a": None})


def test_mean_start_needs_no_prior_and_a_missing_bank_says_how_to_make_it(tmp_path):
    assert recipes.starts_of("ours", None, "mobilefacenet192", tmp_path, {"a": [1.0]}) is None
    with pytest.raises(ValueError, match="ours_bank"):
        recipes.starts_of("ours_magic", None, "mobilefacenet192", tmp_path, {"a": [1.0]})

    class Generator:
        num_ws = 23
    with pytest.raises(PairStoreError, match="train_baselines"):
        recipes.starts_of("ours_bank", Generator(), "mobilefacenet192", tmp_path, {"a": [1.0, 0.0]})


def _store(folder, pairs, num_ws, shard_size=4):
    """A hand-made pair store: pair i has template e_(i mod 3) and w = i in every entry, all unmixed."""
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text(json.dumps({"extractor": "mobilefacenet192", "shard_size": shard_size}))
    (folder / "target.json").write_text(json.dumps({"pairs": pairs, "shards": pairs // shard_size}))
    for shard in range(pairs // shard_size):
        index = np.arange(shard * shard_size, (shard + 1) * shard_size)
        np.savez(folder / f"pairs-{shard:05d}.npz", z=np.zeros((shard_size, 512)), template=np.eye(3)[index % 3],
                 w=np.repeat(index[:, None].astype(np.float32), 512, axis=1),
                 crossover=np.full(shard_size, num_ws, np.int32))


def test_a_recipes_bank_size_reads_the_first_pairs_and_a_smaller_store_is_named(tmp_path, monkeypatch):
    class Generator:
        num_ws = 2
    _store(tmp_path / "pairs", 8, Generator.num_ws)
    small = recipes.Recipe("bank", {}, "a bank of 4 pairs", bank_pairs=4)
    monkeypatch.setitem(recipes.RECIPES, "small_bank", small)
    warnings = []
    monkeypatch.setattr(logging, "warning", lambda message, *args: warnings.append(message % args))
    starts = recipes.starts_of("small_bank", Generator(), "mobilefacenet192", tmp_path, {"a": np.eye(3)[1]})
    assert starts.how["bank_pairs"] == 4 and starts.how["bank_size"] == 4 and not warnings
    # Of the first 4 pairs only pair 1 has template e_1 (pair 4 would too): the nearest carries all the weight.
    np.testing.assert_allclose(starts.latents["a"][:, :3], 1.0, atol=1e-3)
    everything = recipes.starts_of("ours_bank", Generator(), "mobilefacenet192", tmp_path, {"a": np.eye(3)[1]})
    assert everything.how["bank_pairs"] == 8
    assert len(warnings) == 1 and "holds 8 pairs, fewer than the 20000" in warnings[0] and "--pairs=20000" in warnings[0]


def test_multi_start_attempts_are_shared_with_the_one_start_recipe_of_the_same_settings(tmp_path):
    folders = recipes.shared_attempt_dirs("ours_multi_eot_spread", tmp_path, lambda method: tmp_path / method)
    # The bank attempt with EOT + spread is exactly ours_bank_eot_spread's run; the others have no such recipe.
    assert folders["bank"] == tmp_path / "ours_bank_eot_spread"
    shared = tmp_path / "multi_start_attempts"
    assert folders["mean"] == shared / "mean_augment1.0_augment_views4_spread_penalty1.0"
    assert folders["bank_nearest"] == shared / "bank_nearest_augment1.0_augment_views4_spread_penalty1.0"
    # The averaging recipe combines the very same attempts.
    assert recipes.shared_attempt_dirs("ours_multi_avg_eot_spread", tmp_path,
                                       lambda method: tmp_path / method) == folders
    assert recipes.RECIPES["ours_multi_avg_eot_spread"].combine == "average"


def test_every_committed_record_of_older_runs_loads_its_settings():
    """The records in git were written with settings dicts (fewer fields, the batch size beside them); each
    loads as the EngineSettings that made it, the later fields at the values of the engine of its day."""
    import json
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[1] / "experiments"
    loaded = 0
    for path in root.glob("*/*/reconstructions*/*.json"):
        record = json.loads(path.read_text())
        if isinstance(record, dict) and isinstance(record.get("settings"), dict) and "best_loss" in record:
            settings = EngineSettings.from_record(record["settings"], record.get("batch_size"))
            assert settings.steps == record["settings"]["steps"] and settings.batch_size == record.get("batch_size", 8)
            loaded += 1
    assert loaded > 500


def test_the_settings_choices_are_the_engines_own():
    """settings.py keeps its choices as plain tuples (so the flags load without TensorFlow); they must name what
    the engine implements."""
    from tf_reconstruct.models import precision
    from tf_reconstruct.optimize import losses, settings
    assert settings.LOSSES == tuple(losses.LOSSES) and settings.PRECISIONS == precision.CHOICES


def test_a_loaded_mapping_is_kept_for_the_next_call(monkeypatch):
    from tf_reconstruct.baselines import template_to_latent
    loads = []

    class Mapping:   # stands in for the trained network: a fixed linear map, so the starts can be checked
        def predict(self, templates):
            return np.asarray(templates, np.float32)[:, :1, None] * np.ones((1, 2, 512), np.float32)

    def load(folder, kind, attacker):
        loads.append((folder, kind, attacker))
        return Mapping()
    monkeypatch.setattr(template_to_latent, "load_mapping", load)
    kept = {}
    for value in (1.0, 2.0):
        starts = recipes.warm_start_latents("mapping", None, "mobilefacenet192", "bank_dir", {"a": [value, 0.0]}, kept)
        np.testing.assert_allclose(starts.latents["a"], value)
    assert loads == [("bank_dir", "w", "mobilefacenet192")]   # loaded once, used twice
