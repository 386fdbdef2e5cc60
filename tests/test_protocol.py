"""Score sets of the evaluation protocol, and the handling of photos without faces, on hand-built data."""

import numpy as np
import pytest

from tf_reconstruct.evaluation import experiment, protocol

E = {"a1": [1.0, 0.0], "a2": [0.8, 0.6], "b1": [0.0, 1.0], "b2": [0.6, 0.8], "c1": [-1.0, 0.0]}
EMBEDDINGS = {key: np.array(value) for key, value in E.items()}
SELECTION = {"a": ["a1", "a2"], "b": ["b1", "b2"]}


def test_all_mode_uses_every_pair_of_the_selected_photos():
    impostor, genuine = protocol.system_scores(EMBEDDINGS, SELECTION, "all")
    np.testing.assert_allclose(sorted(genuine), [0.8, 0.8])           # a1-a2, b1-b2
    np.testing.assert_allclose(sorted(impostor), [0.0, 0.6, 0.6, 0.96])  # a1-b1, a1-b2, a2-b1, a2-b2


def test_pairs_mode_uses_the_protocol_and_drops_pairs_without_faces():
    pairs = [("a1", "a2", True), ("a1", "c1", False), ("b1", "missing", False)]
    impostor, genuine = protocol.system_scores(EMBEDDINGS, SELECTION, "pairs", pairs)
    np.testing.assert_allclose(genuine, [0.8])
    np.testing.assert_allclose(impostor, [-1.0])
    with pytest.raises(ValueError, match="pairs.txt"):
        protocol.system_scores(EMBEDDINGS, SELECTION, "pairs", None)


def test_attack_scores_and_a_reconstruction_without_a_face():
    reconstructions = {"a": np.array([1.0, 0.0]), "b": None}
    type_one, type_two, owners = protocol.attack_scores(reconstructions, EMBEDDINGS, SELECTION)
    np.testing.assert_allclose(type_one, [1.0, -np.inf])
    np.testing.assert_allclose(type_two, [0.8, -np.inf])
    assert owners == ["a", "b"]
    rows = protocol.table_rows(np.array([0.0, 0.5]), np.array([0.9]), type_one, type_two, fars=(0.0,))
    assert rows[0]["threshold"] == 0.5 and rows[0]["type I TAR %"] == 50.0 and rows[0]["type II TAR %"] == 50.0


def test_photos_without_faces_are_skipped_and_counted():
    chosen = {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1", "c2"], "d": ["d1"]}
    faces = {"a1": 1, "a2": 1, "b2": 1, "b3": 1, "c1": 1, "d1": 1}
    usable, dropped = experiment._drop_unusable(chosen, faces, {"b1": "no face", "c2": "no face"}, "both")
    assert usable == {"a": ["a1", "a2"]}
    assert any("b1" in reason for reason in dropped)             # b's source had no face, b2 became the source
    assert any(reason.startswith("b:") and "second photo" in reason for reason in dropped)
    assert any(reason.startswith("c:") and "second photo" in reason for reason in dropped)
    assert any(reason.startswith("d:") and "second photo" in reason for reason in dropped)
    usable_one, _ = experiment._drop_unusable(chosen, faces, {}, "I")
    assert usable_one == {"a": ["a1", "a2"], "b": ["b2"], "c": ["c1"], "d": ["d1"]}


def test_a_photo_without_a_face_is_skipped_counted_and_cached(tmp_path):
    from tf_reconstruct.evaluation import aligned_faces
    blank = np.full((120, 100, 3), 128, np.uint8)
    tiny = np.zeros((10, 10, 3), np.uint8)
    cache = tmp_path / "aligned.npz"
    faces, failures = aligned_faces.align_images([("x", "blank", blank), ("y", "tiny", tiny)], cache)
    assert faces == {} and set(failures) == {"blank", "tiny"}
    assert "no face found" in failures["blank"] and "too small" in failures["tiny"]
    # A re-run reads the cache and does not try again.
    again, again_failures = aligned_faces.align_images([("x", "blank", None)], cache)
    assert again == {} and again_failures == failures


def test_a_run_folder_refuses_other_engine_settings(tmp_path):
    experiment._check_settings(tmp_path, {"steps": 2000, "resolution": 512})
    experiment._check_settings(tmp_path, {"steps": 2000, "resolution": 512})   # the same: resumes
    with pytest.raises(ValueError, match="resolution.*--run_name"):
        experiment._check_settings(tmp_path, {"steps": 2000, "resolution": 256})
