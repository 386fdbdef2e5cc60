"""Score sets of the evaluation protocol, and the handling of photos without faces, on hand-built data."""

import json

import numpy as np
import pytest

from tf_reconstruct.errors import TfReconstructError
from tf_reconstruct.evaluation import borrowed_thresholds, experiment, protocol, report_files
from tf_reconstruct.optimize.settings import EngineSettings

E = {"a1": [1.0, 0.0], "a2": [0.8, 0.6], "b1": [0.0, 1.0], "b2": [0.6, 0.8], "c1": [-1.0, 0.0]}
EMBEDDINGS = {key: np.array(value) for key, value in E.items()}
SELECTION = {"a": ["a1", "a2"], "b": ["b1", "b2"]}


def test_all_mode_uses_every_pair_of_the_selected_photos():
    impostor, genuine = protocol.system_scores(EMBEDDINGS, SELECTION, "all")
    np.testing.assert_allclose(sorted(genuine), [0.8, 0.8])           # a1-a2, b1-b2
    np.testing.assert_allclose(sorted(impostor), [0.0, 0.6, 0.6, 0.96])  # a1-b1, a1-b2, a2-b1, a2-b2


def test_euclidean_evaluators_score_by_minus_the_distance():
    impostor, genuine = protocol.system_scores(EMBEDDINGS, SELECTION, "all", similarity="negative_euclidean")
    np.testing.assert_allclose(sorted(genuine), [-np.sqrt(0.4)] * 2)
    np.testing.assert_allclose(sorted(impostor), [-np.sqrt(2.0), -np.sqrt(0.8), -np.sqrt(0.8), -np.sqrt(0.08)])
    type_one, type_two, _ = protocol.attack_scores({"a": np.array([2.0, 0.0]), "b": None}, EMBEDDINGS, SELECTION,
                                                   "negative_euclidean")
    np.testing.assert_allclose(type_one, [-1.0, -np.inf])
    np.testing.assert_allclose(type_two, [-np.sqrt(1.44 + 0.36), -np.inf])


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
    experiment._check_settings(tmp_path, EngineSettings(steps=2000, resolution=512))
    experiment._check_settings(tmp_path, EngineSettings(steps=2000, resolution=512))   # the same: resumes
    with pytest.raises(ValueError, match="resolution.*--run_name"):
        experiment._check_settings(tmp_path, EngineSettings(steps=2000, resolution=256))


def test_a_setting_added_later_resumes_old_runs_only_at_its_old_value(tmp_path):
    # A folder started before `restarts` existed was made with no restarts.
    (tmp_path / "engine_settings.json").write_text('{"steps": 2000}')
    experiment._check_settings(tmp_path, EngineSettings(steps=2000, restarts=0))
    with pytest.raises(ValueError, match="restarts"):
        experiment._check_settings(tmp_path, EngineSettings(steps=2000, restarts=1))


def test_rows_at_borrowed_thresholds_keep_the_other_runs_rates():
    points = [{"FAR %": 0.0, "threshold": 0.5, "achieved FAR %": 0.0, "normal TAR %": 90.0},
              {"FAR %": 10.0, "threshold": 0.2, "achieved FAR %": 9.5, "normal TAR %": 99.0}]
    rows = protocol.rows_at_thresholds(points, np.array([0.6, 0.3, -np.inf]), np.array([0.5, 0.1]))
    # 0.5 is not accepted at threshold 0.5 (accept if score > threshold).
    assert [round(row["type I TAR %"], 4) for row in rows] == [33.3333, 66.6667]
    assert [row["type II TAR %"] for row in rows] == [0.0, 50.0]
    assert rows[1]["normal TAR %"] == 99.0 and rows[1]["achieved FAR %"] == 9.5


def _finished_run(folder, attacker="mobilefacenet192"):
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"dataset": "lfw", "attack_extractor": attacker}))
    rows = [{"impostors": mode, "FAR %": far, "threshold": threshold, "achieved FAR %": far,
             "normal TAR %": 95.0, "type I TAR %": 100.0}
            for mode, far, threshold in (("all", 0.0, 0.62), ("all", 0.1, 0.44), ("pairs", 0.0, 0.49))]
    report_files.write_table(folder / "table1", rows)
    report_files.write_table(folder / "table2_mobilefacenet512", [{**row, "threshold": 0.3} for row in rows])
    return folder


def test_thresholds_are_borrowed_from_the_table_of_the_same_evaluator(tmp_path):
    run = _finished_run(tmp_path / "lfw_run")
    own = borrowed_thresholds.read_operating_points(run, "mobilefacenet192")
    assert sorted(own) == ["lfw-all", "lfw-pairs"]
    assert [point["threshold"] for point in own["lfw-all"]] == [0.62, 0.44]
    assert own["lfw-pairs"] == [{"FAR %": 0.0, "threshold": 0.49, "achieved FAR %": 0.0, "normal TAR %": 95.0}]
    other = borrowed_thresholds.read_operating_points(run, "mobilefacenet512")
    assert {point["threshold"] for points in other.values() for point in points} == {0.3}


def test_borrowing_from_a_missing_or_incomplete_run_says_what_to_give(tmp_path):
    with pytest.raises(TfReconstructError, match="no manifest.json"):
        borrowed_thresholds.read_operating_points(tmp_path, "mobilefacenet192")
    run = _finished_run(tmp_path / "lfw_run")
    with pytest.raises(TfReconstructError, match="--eval_models including arcface_inception"):
        borrowed_thresholds.read_operating_points(run, "arcface_inception")


def _toy_extractor(seed):
    import tensorflow as tf
    tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential([tf.keras.layers.Rescaling(1 / 255.0), tf.keras.layers.Flatten(),
                                 tf.keras.layers.Dense(4)], name="toy")
    model.build((None, 112, 112, 3))
    return model


def test_photo_embeddings_are_cached_and_dropped_when_the_weights_change(tmp_path):
    from tf_reconstruct.evaluation import aligned_faces
    rng = np.random.default_rng(1)
    faces = {name: rng.integers(0, 256, (112, 112, 3), dtype=np.uint8) for name in ("a", "b", "c")}
    cache = tmp_path / "embeddings_toy.npz"
    extractor = _toy_extractor(0)
    first = aligned_faces.embed_faces(extractor, {"a": faces["a"], "b": faces["b"]}, cache_file=cache)
    # Mark the cached vector of "a": a reuse returns the mark, a new face is embedded and added.
    with np.load(cache) as stored:
        marked = dict(stored)
    marked["vectors"][marked["ids"].tolist().index("a")] = 7.0
    np.savez(cache, **marked)
    second = aligned_faces.embed_faces(extractor, faces, cache_file=cache)
    np.testing.assert_array_equal(second["a"], np.full(4, 7.0, np.float32))
    np.testing.assert_allclose(second["b"], first["b"], rtol=1e-5)
    assert sorted(second) == ["a", "b", "c"] and np.load(cache)["ids"].tolist() == ["a", "b", "c"]
    # Other weights under the same name: the cache is not trusted.
    other = aligned_faces.embed_faces(_toy_extractor(5), faces, cache_file=cache)
    assert not np.allclose(other["a"], 7.0) and not np.allclose(other["b"], first["b"])
    np.testing.assert_allclose(other["a"], _toy_extractor(5)(faces["a"][None]).numpy()[0], rtol=1e-5)
