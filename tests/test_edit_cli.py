"""The editing tools end to end on tiny inputs: train_boundaries on a small labelled store, then the edit CLI
on two latents (edits and normalisation), resuming, and clear errors on bad input."""

import json

import numpy as np
import pytest

from cli_in_process import run_cli
from tf_reconstruct.editing import latents

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _run(module, *args):
    return run_cli(module, *args)


def test_load_latents_accepts_w_plus_w_and_run_folders_and_names_bad_shapes(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros((23, 512), np.float32))
    np.save(tmp_path / "many.npy", np.zeros((3, 23, 512), np.float32))
    np.save(tmp_path / "w.npy", np.ones(512, np.float32))
    assert [name for name, _ in latents.load_latents(tmp_path / "many.npy", 23)] == ["many_0000", "many_0001", "many_0002"]
    (name, w_plus), = latents.load_latents(tmp_path / "w.npy", 23)
    assert w_plus.shape == (23, 512) and np.all(w_plus == 1)
    run = tmp_path / "run" / "reconstructions"
    run.mkdir(parents=True)
    np.save(run / "Ann_Smith_wplus.npy", np.zeros((23, 512), np.float32))
    assert [name for name, _ in latents.load_latents(tmp_path / "run", 23)] == ["Ann_Smith"]
    np.save(tmp_path / "stylegan.npy", np.zeros((18, 512), np.float32))
    with pytest.raises(latents.LatentError, match=r"expected w\+ \[23, 512\]"):
        latents.load_latents(tmp_path / "stylegan.npy", 23)
    with pytest.raises(latents.LatentError, match="does not exist"):
        latents.load_latents(tmp_path / "nothing.npy", 23)
    bad = np.zeros((23, 512), np.float32)
    bad[0, 0] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(latents.LatentError, match="NaN"):
        latents.load_latents(tmp_path / "nan.npy", 23)


def test_train_boundaries_then_edit_and_normalize_two_latents(tmp_path, generator, tiny_bank):
    samples, found = tmp_path / "samples", tmp_path / "boundaries"
    trained = _run("tf_reconstruct.train_boundaries", "--num_samples=120", "--shard_size=60",
                   f"--samples_dir={samples}", f"--boundaries_dir={found}", f"--report_out={tmp_path / 'report'}",
                   "--boundary_fraction=0.2")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert sorted(path.stem for path in found.glob("*.npy")) == sorted(
        ["age", "gender", "smile", "neutral", "yaw", "pitch", "eyes_open"])
    info = json.loads((found / "smile.json").read_text())
    assert info["samples_settings"]["sha256"]["fr_expression_onnx"] and 0 <= info["report"]["validation_accuracy"] <= 1
    assert "validation accuracy on the extremes" in (tmp_path / "report" / "boundaries.md").read_text()

    rng = np.random.default_rng(0)
    w = generator.w_avg[None] + 0.5 * rng.standard_normal((2, 512)).astype(np.float32)
    np.save(tmp_path / "faces.npy", np.repeat(w[:, None], generator.num_ws, axis=1))
    common = [f"--latents={tmp_path / 'faces.npy'}", f"--boundaries_dir={found}", "--edit_resolution=256"]
    out = tmp_path / "edits"
    edited = _run("tf_reconstruct.edit", *common, "--attribute=smile", "--strengths=-2,0,2", "--condition=age",
                  "--layers=coarse,middle", f"--out={out}")
    assert edited.returncode == 0, edited.stderr[-3000:]
    assert len(list((out / "images").glob("faces_000*_smile_*.png"))) == 6 and (out / "grid_smile.png").is_file()
    table = (out / "edits_smile.csv").read_text().splitlines()
    assert len(table) == 7 and "identity cosine" in table[0] and "eyes_open" in table[0]
    record = json.loads((out / "records" / "faces_0000.json").read_text())
    assert record["edits"][1]["identity cosine"] == pytest.approx(1.0, abs=1e-4) or np.isnan(
        record["edits"][1]["identity cosine"])   # strength 0 is the unedited face
    again = _run("tf_reconstruct.edit", *common, "--attribute=smile", "--strengths=-2,0,2", "--condition=age",
                 "--layers=coarse,middle", f"--out={out}")
    assert again.returncode == 0 and "edited faces_0000" not in again.stderr   # resumed from records

    normalized = _run("tf_reconstruct.edit", *common, "--normalize", "--normalize_iterations=2",
                      f"--out={tmp_path / 'normal'}")
    assert normalized.returncode == 0, normalized.stderr[-3000:]
    assert (tmp_path / "normal" / "grid_normalized.png").is_file()
    assert "yaw after" in (tmp_path / "normal" / "normalized.csv").read_text()

    study = tmp_path / "study"
    studied = _run("tf_reconstruct.studies.editing_control", f"--boundaries_dir={found}", f"--study_out={study}",
                   f"--baselines_dir={tiny_bank}",
                   "--study_faces=1", "--study_ffhq_faces=1", "--study_photos=1", "--study_invert_steps=2",
                   "--study_strengths=-1,0,1",
                   "--boundary_attributes=smile,age,yaw,pitch", "--study_normalize_faces=1")
    assert studied.returncode == 0, studied.stderr[-3000:]
    for name in ("edit_control.md", "edit_control.csv", "inversions.md", "edit_control_photos.md", "normalization.md",
                 "grid_normalized.png"):
        assert (study / name).is_file(), name
    control = (study / "edit_control.csv").read_text()
    assert "Spearman" in control and "mobilefacenet512 type II TAR % at +-1" in control
    assert len(list(study.glob("grid_lfw_*.png"))) == 1 and len(list(study.glob("grid_ffhq_*.png"))) == 1

    unknown = _run("tf_reconstruct.edit", *common, "--attribute=beard")
    assert unknown.returncode != 0 and "unknown attribute(s) beard; valid: age" in unknown.stderr
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((18, 512), np.float32))
    shaped = _run("tf_reconstruct.edit", f"--latents={wrong}", f"--boundaries_dir={found}", "--attribute=smile")
    assert shaped.returncode != 0 and "expected w+ [23, 512]" in shaped.stderr
    wall = tmp_path / "wall.png"
    import cv2
    cv2.imwrite(str(wall), np.full((200, 200, 3), 128, np.uint8))
    no_face = _run("tf_reconstruct.edit", f"--photo={wall}", f"--boundaries_dir={found}", "--attribute=smile",
                   f"--out={tmp_path / 'wall'}")
    assert no_face.returncode != 0 and "no face found" in no_face.stderr


def test_editing_study_pieces_on_hand_made_results():
    from tf_reconstruct.editing.boundaries import Boundary
    from tf_reconstruct.studies import editing_control
    unit = np.eye(4, dtype=np.float32)
    found = {"age": Boundary(unit[0], 0.0, {"score_std": 2.0}),
             "smile": Boundary((unit[1] + 0.9 * unit[0]) / np.linalg.norm(unit[1] + 0.9 * unit[0]), 0.0,
                               {"score_std": 1.0}),
             "neutral": Boundary(unit[0] * 0.99 + unit[1] * 0.1, 0.0, {"score_std": 1.0}),
             "yaw": Boundary(unit[2], 0.0, {"score_std": 1.0})}
    # smile's partner neutral is never its condition; age is the most correlated other.
    assert editing_control.conditions_for("smile", found) == ["age", "yaw"]
    plan = editing_control.edit_plan({"age": None, "smile": None}, [-1.0, 0.0, 1.0])
    assert plan[0] == ("none", "none", 0.0) and len(plan) == 1 + 2 * 2 * 2
    # One face: age follows the strength exactly, smile does not move; the face keeps its identity.
    attributes = ["age", "smile", "neutral", "yaw"]
    values = np.zeros((len(plan), 4), np.float32)
    values[:, 0] = 30.0
    for index, (attribute, _, strength) in enumerate(plan):
        if attribute == "age":
            values[index, 0] = 30 + 10 * strength
    result = {"plan": np.array([f"{a}|{m}|{s:g}" for a, m, s in plan]), "values": values,
              "attributes": np.array(attributes), "embedding_judge": np.ones((len(plan), 3), np.float32)}

    class Judge:
        similarity = "cosine"
    rows = editing_control.control_rows({"lfw/x": result}, {"age": found["age"], "smile": found["smile"]},
                                        [-1.0, 0.0, 1.0], {"judge": Judge()}, {"judge": 0.5},
                                        {"judge": {"lfw/x": np.ones((2, 3))}})
    age_plain = rows[0]
    assert (age_plain["attribute"], age_plain["mode"]) == ("age", "plain")
    assert age_plain["Spearman (score vs strength), mean"] == pytest.approx(1.0)
    assert age_plain["leakage into smile"] == 0.0
    assert age_plain["judge cosine to unedited at +-1"] == pytest.approx(1.0)
    assert age_plain["judge type II TAR % at +-1"] == 100.0 and age_plain["judge type II TAR % unedited"] == 100.0


def test_a_photo_whose_face_the_judge_cannot_find_keeps_its_inversion_with_an_empty_cosine():
    from tf_reconstruct.studies import editing_control

    grey = np.full((200, 200, 3), 128, np.uint8)   # MTCNN finds nothing: the judge is never called
    assert np.isnan(editing_control._judge_cosine(None, None, np.zeros((23, 512), np.float32), grey, "grey wall"))
