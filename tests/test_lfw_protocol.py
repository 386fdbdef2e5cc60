import pytest

from tf_reconstruct.datasets import lfw


def test_parse_pairs_matched_and_mismatched():
    text = "1\t1\nAlice\t1\t2\nBob\t3\tCarol\t10\n"
    pairs = lfw.parse_pairs(text)
    assert pairs == [lfw.Pair("Alice_0001", "Alice_0002", True), lfw.Pair("Bob_0003", "Carol_0010", False)]


def test_parse_pairs_rejects_a_wrong_count():
    with pytest.raises(lfw.DatasetError, match="promises 4"):
        lfw.parse_pairs("2 1\nAlice 1 2\nBob 3 Carol 10\n")


def test_parse_people():
    assert lfw.parse_people("2\nAlice 3\nBob 1\n") == [("Alice", 3), ("Bob", 1)]


def test_missing_dataset_names_the_flag(tmp_path):
    with pytest.raises(lfw.DatasetError, match="--data_dir"):
        lfw.read_images(tmp_path / "nowhere.tgz", ["Alice_0001"])
