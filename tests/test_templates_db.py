"""Reading a template database: the three layouts, names, and bad input refused naming the file and rows."""

import numpy as np
import pytest

from tf_reconstruct.datasets.templates import load_templates
from tf_reconstruct.optimize.reconstruct import TemplateError


def test_bad_templates_are_refused_with_the_file_named(tmp_path):
    with pytest.raises(TemplateError, match="does not exist"):
        load_templates(tmp_path / "absent.npy", 192)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TemplateError, match="no .npy"):
        load_templates(tmp_path / "empty", 192)
    np.save(tmp_path / "wrong.npy", np.ones((3, 512)))
    with pytest.raises(TemplateError, match="wrong.npy.*512-d"):
        load_templates(tmp_path / "wrong.npy", 192)
    np.save(tmp_path / "nan.npy", np.full(192, np.nan))
    with pytest.raises(TemplateError, match="NaN"):
        load_templates(tmp_path / "nan.npy", 192)


def test_nan_inf_and_zero_rows_are_named(tmp_path):
    rows = np.ones((30, 4), np.float32)
    rows[[3, 17]] = np.nan
    rows[21, 2] = np.inf
    np.save(tmp_path / "db.npy", rows)
    with pytest.raises(TemplateError, match=r"db.npy: rows 3, 17, 21 \(3 of them\) contain NaN or Inf"):
        load_templates(tmp_path / "db.npy", 4)
    rows = np.ones((30, 4), np.float32)
    rows[5:20] = 0
    np.save(tmp_path / "zeros.npy", rows)
    with pytest.raises(TemplateError, match=r"rows 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, \.\.\. \(15 of them\) are all zero"):
        load_templates(tmp_path / "zeros.npy", 4)


def test_templates_are_named_by_file_and_row(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    np.save(folder / "alice.npy", np.ones(4))
    np.save(folder / "group.npy", np.ones((2, 4)))
    np.save(folder / ".partial.half.npy", np.ones(4))   # what an interrupted write leaves: not a template
    assert [name for name, _ in load_templates(folder, 4)] == ["alice", "group_0000", "group_0001"]


def test_row_names_widen_past_ten_thousand(tmp_path):
    np.save(tmp_path / "big.npy", np.ones((10001, 2), np.float32))
    names = [name for name, _ in load_templates(tmp_path / "big.npy", 2)]
    assert names[0] == "big_00000" and names[-1] == "big_10000" and len(set(names)) == 10001


def test_a_list_file_reads_relative_paths_in_order(tmp_path):
    (tmp_path / "part").mkdir()
    np.save(tmp_path / "part" / "b.npy", np.full((2, 3), 2.0))
    np.save(tmp_path / "a.npy", np.full(3, 1.0))
    (tmp_path / "db.txt").write_text("# two files\npart/b.npy\n\na.npy\n")
    templates = load_templates(tmp_path / "db.txt", 3)
    assert [name for name, _ in templates] == ["b_0000", "b_0001", "a"]
    assert templates[2][1].tolist() == [1.0, 1.0, 1.0] and templates[0][1].dtype == np.float32
    (tmp_path / "broken.txt").write_text("a.npy\nmissing.npy\n")
    with pytest.raises(TemplateError, match="broken.txt, line 2: .*missing.npy does not exist"):
        load_templates(tmp_path / "broken.txt", 3)


def test_colliding_names_are_refused(tmp_path):
    (tmp_path / "x").mkdir()
    np.save(tmp_path / "x" / "a.npy", np.ones(3))
    np.save(tmp_path / "a.npy", np.ones(3))
    (tmp_path / "db.txt").write_text("a.npy\nx/a.npy\n")
    with pytest.raises(TemplateError, match="collide \\(a\\)"):
        load_templates(tmp_path / "db.txt", 3)
