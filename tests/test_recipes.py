"""The named methods beyond the paper: ours stays the paper's engine, a recipe changes only its settings, and
a missing prior is a clear error."""

import pytest

from tf_reconstruct.baselines.training_pairs import PairStoreError
from tf_reconstruct.optimize import recipes

BASE = {"steps": 2000, "patience": 50, "learning_rate": 0.1, "augment": 0.0, "augment_views": 1,
        "spread_penalty": 0.0}


def test_ours_is_the_settings_as_given():
    assert recipes.settings_of("ours", BASE) == BASE


def test_a_recipe_changes_only_what_it_names():
    settings = recipes.settings_of("ours_bank_eot_spread", BASE)
    changed = {key for key in settings if settings[key] != BASE.get(key)}
    assert changed == {"augment", "augment_views", "spread_penalty"}
    assert recipes.RECIPES["ours_bank_eot_spread"].start == "bank"


def test_unknown_method_and_start_name_the_choices():
    with pytest.raises(ValueError, match="ours_bank"):
        recipes.settings_of("ours_magic", BASE)
    with pytest.raises(ValueError, match="mean, bank, bank_nearest, mapping"):
        recipes.warm_start_latents("noise", None, "mobilefacenet192", "nowhere", {"a": None})


def test_mean_start_needs_no_prior_and_a_missing_bank_says_how_to_make_it(tmp_path):
    assert recipes.starts_of("ours", None, "mobilefacenet192", tmp_path, {"a": [1.0]}) is None

    class Generator:
        num_ws = 23
    with pytest.raises(PairStoreError, match="train_baselines"):
        recipes.starts_of("ours_bank", Generator(), "mobilefacenet192", tmp_path, {"a": [1.0, 0.0]})
