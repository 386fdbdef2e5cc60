"""The paper's identity selection is deterministic and respects the image-count floor."""

import json

import pytest

from tf_reconstruct.datasets import lfw, selection
from tf_reconstruct.datasets.errors import DatasetError

IMAGES = {f"person_{index:02d}": [f"person_{index:02d}_{n:04d}" for n in range(1, 1 + index % 4)]
          for index in range(40)}


def test_same_seed_same_selection_and_order_independent():
    first = selection.select_identities(IMAGES, 10, seed=3)
    shuffled = dict(reversed(list(IMAGES.items())))
    assert selection.select_identities(shuffled, 10, seed=3) == first
    assert first == sorted(first) and len(set(first)) == 10
    assert selection.select_identities(IMAGES, 10, seed=4) != first


def test_min_images_is_respected():
    chosen = selection.select_identities(IMAGES, 20, seed=0, min_images=2)
    assert all(len(IMAGES[name]) >= 2 for name in chosen)
    # 10 of the 40 have 0 images, 10 have 1: 20 eligible at min_images=2, 30 at 1.
    assert len(selection.select_identities(IMAGES, 30, seed=0, min_images=1)) == 30


def test_too_few_identities_names_the_flag():
    with pytest.raises(DatasetError, match="--num_identities"):
        selection.select_identities(IMAGES, 21, seed=0, min_images=2)


def test_source_is_the_first_image():
    assert selection.split_source(["b_0002", "b_0001", "b_0003"]) == ("b_0001", ["b_0002", "b_0003"])


def test_parse_names():
    names = lfw.parse_names("Aaron_Eckhart\t1\nAbel_Pacheco\t4\n")
    assert names == {"Aaron_Eckhart": ["Aaron_Eckhart_0001"],
                     "Abel_Pacheco": [f"Abel_Pacheco_{n:04d}" for n in range(1, 5)]}
    with pytest.raises(DatasetError, match="line 1"):
        lfw.parse_names("Aaron_Eckhart one\n")


def test_excluded_identities_unite_several_runs(tmp_path):
    for run, names in (("run_a", ["person_01", "person_02"]), ("run_b", ["person_02", "person_03"])):
        (tmp_path / run).mkdir()
        (tmp_path / run / "selection.json").write_text(json.dumps({"identities": {n: [] for n in names}}))
    excluded = selection.excluded_identities((tmp_path / "run_a", tmp_path / "run_b"))
    assert excluded == {"person_01", "person_02", "person_03"}
    assert selection.excluded_identities(()) == set()
    with pytest.raises(DatasetError, match="--exclude_identities_from=.*no selection.json"):
        selection.excluded_identities((tmp_path / "run_a", tmp_path / "missing"))
