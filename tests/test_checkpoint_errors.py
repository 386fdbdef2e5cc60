"""Corrupt, missing and mismatched checkpoints give errors that name the file and the fix."""

import numpy as np
import pytest

from tf_reconstruct.checkpoints import fetch, manifest, sources
from tf_reconstruct.converters import weight_table
from tf_reconstruct.errors import CheckpointFormatError, ChecksumMismatchError, MissingCheckpointError
from tf_reconstruct.models import mapping_network, registry


def test_sha256_mismatch_names_file_and_expected_sum(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"not the model")
    expected = sources.find("mobilefacenet512_onnx")[1].sha256
    with pytest.raises(ChecksumMismatchError) as error:
        fetch.verify_sha256(path, expected, "model file mobilefacenet512_onnx")
    assert str(path) in str(error.value) and expected in str(error.value)


def test_verify_reports_missing_and_tampered_files(tmp_path):
    tampered = fetch.raw_path("mobilefacenet192_tflite", tmp_path)
    tampered.parent.mkdir(parents=True)
    tampered.write_bytes(b"tampered")
    status = fetch.verify_all(tmp_path)
    assert status["mobilefacenet192_tflite"] == "sha256 mismatch"
    assert status["mobilefacenet512_onnx"] == "missing"


def test_missing_converted_model_names_the_fetch_command(tmp_path):
    with pytest.raises(MissingCheckpointError, match="python -m tf_reconstruct.checkpoints fetch"):
        registry.get_extractor("mobilefacenet192", checkpoint_root=tmp_path)
    with pytest.raises(MissingCheckpointError, match="python -m tf_reconstruct.checkpoints fetch"):
        registry.get_generator("mobilestylegan", checkpoint_root=tmp_path)


def test_corrupt_weight_archive_is_refused(tmp_path):
    path = tmp_path / "mapping.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointFormatError, match="corrupt"):
        weight_table.load_npz(mapping_network.build_mapping_network(), path)


def test_mismatched_weights_are_refused(tmp_path):
    small = mapping_network.build_mapping_network(z_dim=16, w_dim=16, num_layers=2)
    path = tmp_path / "small.npz"
    weight_table.save_npz(small, path)
    with pytest.raises(CheckpointFormatError, match="shape mismatches"):
        weight_table.load_npz(mapping_network.build_mapping_network(z_dim=16, w_dim=8, num_layers=2), path)


def test_unfilled_or_unused_table_entries_are_refused():
    model = mapping_network.build_mapping_network(z_dim=4, w_dim=4, num_layers=1)
    table = {"mapping_dense_0/kernel": np.zeros((4, 4))}
    with pytest.raises(CheckpointFormatError, match="not in"):
        weight_table.assign(model, table)
    table["mapping_dense_0/bias"] = np.zeros(4)
    table["stray/kernel"] = np.zeros(1)
    with pytest.raises(CheckpointFormatError, match="does not have"):
        weight_table.assign(model, table)


def test_manifest_lists_every_model_with_provenance(tmp_path):
    records = manifest.manifest_records()
    assert len(records) == len(sources.all_files())
    for record in records:
        assert len(record["sha256"]) == 64 and record["licence"] and record["source"].count(":") == 1
    assert manifest.write_manifest(tmp_path).is_file()
