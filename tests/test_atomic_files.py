"""Atomic writes: a finished write replaces the file, a failed one leaves the old file and no partial."""

import numpy as np
import pytest

from tf_reconstruct import atomic_files


def test_a_finished_write_replaces_the_file_and_keeps_the_format_suffix(tmp_path):
    out = tmp_path / "deeper" / "arrays.npz"
    with atomic_files.replacing(out) as temporary:
        assert temporary.name == ".partial.arrays.npz"
        np.savez(temporary, values=np.arange(3))
    np.testing.assert_array_equal(np.load(out)["values"], [0, 1, 2])
    assert sorted(path.name for path in out.parent.iterdir()) == ["arrays.npz"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_partial(tmp_path):
    out = tmp_path / "table.md"
    atomic_files.write_text(out, "old")
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_files.replacing(out) as temporary:
            temporary.write_text("half")
            raise RuntimeError("interrupted")
    assert out.read_text() == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["table.md"]


def test_bytes_and_names_without_a_suffix(tmp_path):
    atomic_files.write_bytes(tmp_path / "MANIFEST", b"\x00\x01")
    assert (tmp_path / "MANIFEST").read_bytes() == b"\x00\x01"
    assert atomic_files.partial_path(tmp_path / "mapping_w.weights.h5").name == ".partial.mapping_w.weights.h5"
