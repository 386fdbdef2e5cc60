"""The inpainting study's tables (the ablation's paired differences) and its cache of filled faces."""

import numpy as np
import pytest

from tf_reconstruct.errors import InputError
from tf_reconstruct.evaluation import per_face_scores, report_files
from tf_reconstruct.studies import inpainting_eval, inpainting_methods


def test_ablation_table_pairs_faces_per_bin_and_over_all(tmp_path):
    bins = np.array([0, 1, 2, 0, 1, 2])
    ablation = {"PSNR hole dB": np.array([10.0, 11, 12, 13, 14, 15]),
                "MobileFaceNet-512 cosine": np.array([0.5, 0.4, 0.3, 0.5, 0.4, 0.3])}
    full = {"PSNR hole dB": ablation["PSNR hole dB"] + np.array([1.0, 1, 1, 3, 1, 1]),
            "MobileFaceNet-512 cosine": ablation["MobileFaceNet-512 cosine"] - 0.1}
    made_by = {"telea": "telea", "patent_full": "full at 1700", "patent_global_style": "global at 1700"}
    inpainting_eval.ablation_table({"telea": full, "patent_full": full, "patent_global_style": ablation}, bins,
                                   tmp_path, made_by)
    lines = (tmp_path / "ablation.csv").read_text().splitlines()
    assert len(lines) == 1 + 4   # one ablation: three bins and all
    assert lines[1].startswith("full at 1700,global at 1700,0-20%,2,+2.000 ± 1.000,-0.100 ± 0.000")
    assert lines[4].startswith("full at 1700,global at 1700,all,6,+1.333 ± 0.333,")


def test_each_ablation_is_paired_with_the_full_network_of_its_style():
    methods = ["telea", "patent_full", "patent_no_region_norm", "patent_full_rebalanced",
               "patent_global_style_rebalanced", "patent_no_region_norm_rebalanced"]
    assert inpainting_eval.ablation_pairs(methods) == [
        ("patent_full", "patent_no_region_norm"),
        ("patent_full_rebalanced", "patent_no_region_norm_rebalanced"),
        ("patent_full_rebalanced", "patent_global_style_rebalanced")]
    # An ablation without its own style's full network is not paired with the other style's.
    assert inpainting_eval.ablation_pairs(["patent_full", "patent_global_style_rebalanced"]) == []


def test_inversions_are_paired_when_they_differ_in_budget_or_start_alone():
    methods = ["telea", "inversion_poisson", "inversion_mapping_200steps_poisson", "inversion_mapping_poisson",
               "inversion_mapping", "inversion_200steps_feather", "patent_full"]
    assert inpainting_eval.inversion_pairs(methods, 100) == [
        ("inversion_mapping_poisson", "inversion_poisson"),                    # the start, at the same budget
        ("inversion_mapping_200steps_poisson", "inversion_mapping_poisson")]   # the budget, from the same start
    # With 200 as the default budget the suffixed name is the default one's partner.
    assert inpainting_eval.inversion_pairs(["inversion_mapping_200steps", "inversion_mapping"], 200) == []


def test_the_inversion_table_pairs_faces_on_the_same_holes(tmp_path):
    bins = np.array([0, 1, 2, 0, 1, 2])
    shorter = {"PSNR hole dB": np.arange(6.0), "MobileFaceNet-512 cosine": np.array([0.5, np.nan, 0.3, 0.5, 0.4, 0.3])}
    longer = {"PSNR hole dB": shorter["PSNR hole dB"] + np.array([0.5, 0, 0, 1.5, 0, 0]),
              "MobileFaceNet-512 cosine": shorter["MobileFaceNet-512 cosine"] + 0.02}
    made_by = {"inversion_200steps": "200 steps", "inversion": "100 steps"}
    inpainting_eval.inversion_table({"inversion_200steps": longer, "inversion": shorter}, bins, tmp_path, made_by, 100)
    lines = (tmp_path / "inversions.csv").read_text().splitlines()
    assert lines[0].startswith("inversion,minus,hole ratio,faces,PSNR hole dB,MobileFaceNet-512 cosine")
    assert lines[1].startswith("200 steps,100 steps,0-20%,2,+1.000 ± 0.500,+0.020 ± 0.000")
    assert lines[2].startswith("200 steps,100 steps,20-40%,2,+0.000 ± 0.000,")   # one face of two: no cosine
    assert lines[2].split(",")[5] == ""
    assert lines[4].startswith("200 steps,100 steps,all,6,+0.333 ± 0.247,+0.020 ± 0.000")   # the face MTCNN missed drops out


def test_no_ablation_table_without_the_full_network(tmp_path):
    values = {"PSNR hole dB": np.zeros(3), "MobileFaceNet-512 cosine": np.zeros(3)}
    inpainting_eval.ablation_table({"patent_global_style": values}, np.zeros(3, int), tmp_path,
                                   {"patent_global_style": "g"})
    assert not (tmp_path / "ablation.csv").exists()


def test_per_face_scores_round_trip_and_refuse_other_faces(tmp_path):
    path = tmp_path / "per_face" / "patent_full.csv"
    values = {"PSNR hole dB": np.array([17.5, 18.25]), "MobileFaceNet-512 cosine": np.array([0.5, np.nan])}
    per_face_scores.write_scores(path, ["lfw/a", "ffhq/b"], values, "full_128 at step 3400")
    read, made_by = per_face_scores.read_scores(path, ["lfw/a", "ffhq/b"])
    assert made_by == "full_128 at step 3400"
    assert read["PSNR hole dB"].tolist() == [17.5, 18.25]
    assert read["MobileFaceNet-512 cosine"][0] == 0.5 and np.isnan(read["MobileFaceNet-512 cosine"][1])
    assert per_face_scores.read_scores(tmp_path / "none.csv", ["lfw/a"]) == (None, None)
    with pytest.raises(InputError, match="patent_full.csv scores other faces"):
        per_face_scores.read_scores(path, ["ffhq/b", "lfw/a"])


def test_fills_are_reused_only_by_what_made_them(tmp_path):
    cache = tmp_path / "filled_patent_full.npz"
    done = {"a": np.full((4, 4, 3), 1, np.uint8), "b": np.full((4, 4, 3), 2, np.uint8)}
    inpainting_eval.save_fills(cache, done, "full_128 at step 700")
    again = inpainting_eval.cached_fills(cache, "full_128 at step 700")
    assert list(again) == ["a", "b"] and np.array_equal(again["b"], done["b"])
    assert inpainting_eval.cached_fills(cache, "full_128 at step 1700") == {}   # retrained: fill again
    aside = tmp_path / "filled_patent_full.replaced.npz"   # ...and the old fills are set aside, not lost
    assert not cache.exists() and inpainting_eval.cached_fills(aside, "full_128 at step 700").keys() == {"a", "b"}
    np.savez_compressed(tmp_path / "old.npz", names=np.array(["a"]), filled=done["a"][None])
    assert inpainting_eval.cached_fills(tmp_path / "old.npz", "telea") == {}   # no record of its maker
    assert inpainting_eval.cached_fills(tmp_path / "none.npz", "telea") == {}


def test_the_study_runs_what_can_run_and_names_what_it_does_not_offer(tmp_path):
    trained, untrained = tmp_path / "full_128", tmp_path / "global_style_128"
    trained.mkdir()
    (trained / "generator.weights.h5").write_bytes(b"")
    networks = {"patent_full": trained, "patent_global_style": untrained}
    assert inpainting_methods.chosen_methods([], networks, False) == [
        "telea", "ns", "inversion", "inversion_feather", "inversion_poisson", "patent_full"]
    every = ["telea", "ns", "inversion", "inversion_mapping", "inversion_feather", "inversion_poisson",
             "inversion_mapping_feather", "inversion_mapping_poisson", "patent_full"]
    assert inpainting_methods.chosen_methods([], networks, True) == every
    assert inpainting_methods.chosen_methods(["patent_global_style", "telea"], networks, False) == [
        "telea", "patent_global_style"]   # table order; a named network without weights fails later, naming the fix
    with pytest.raises(ValueError, match="unknown patent; choose from telea, ns, inversion, inversion_mapping"):
        inpainting_methods.chosen_methods(["inversion", "patent"], networks, True)


def test_a_run_replaces_the_rows_of_the_methods_it_measured_and_keeps_the_others():
    previous = [{"method": m, "hole ratio": b, "PSNR dB": 1.0} for m in ("telea", "inversion", "patent_full")
                for b in ("0-20%", "20-40%")]
    rows = [{"method": m, "hole ratio": b, "PSNR dB": 2.0} for m in ("patent_full", "telea") for b in ("0-20%", "20-40%")]
    merged = inpainting_eval.merged_rows(previous, rows, ["telea", "ns", "inversion", "patent_full"])
    assert [(r["method"], r["hole ratio"], r["PSNR dB"]) for r in merged] == [
        ("telea", "0-20%", 2.0), ("telea", "20-40%", 2.0), ("inversion", "0-20%", 1.0), ("inversion", "20-40%", 1.0),
        ("patent_full", "0-20%", 2.0), ("patent_full", "20-40%", 2.0)]
    assert inpainting_eval.merged_rows([], rows, []) == rows
    networks = inpainting_eval.merged_rows([{"network": "patent_full", "steps": 1600}],
                                           [{"network": "patent_full_rebalanced", "steps": 3400}],
                                           inpainting_eval.METHODS, key="network")
    assert [row["network"] for row in networks] == ["patent_full", "patent_full_rebalanced"]
    # A measure added since a kept row was measured: the kept row shows it empty, and the table still writes.
    newer = [{**row, "faces MTCNN found": 7} for row in rows]
    merged = inpainting_eval.merged_rows(previous, newer, ["telea", "ns", "inversion", "patent_full"])
    assert [r["faces MTCNN found"] for r in merged] == [7, 7, "", "", 7, 7]
    assert "faces MTCNN found" in report_files.markdown_table(merged)


def test_identity_is_compared_with_telea_on_the_faces_both_keep(tmp_path):
    nan = float("nan")
    bins = np.array([0, 0, 0, 1, 1, 1])
    per_face = {"telea": {"MobileFaceNet-512 cosine": np.array([0.5, 0.6, nan, 0.2, 0.4, 0.3])},
                "inversion": {"MobileFaceNet-512 cosine": np.array([0.7, 0.6, 0.9, nan, 0.5, 0.5])}}
    inpainting_eval.identity_against_telea(per_face, bins, tmp_path)
    rows = report_files.read_csv(tmp_path / "identity_against_telea.csv")
    assert [row["faces both find"] for row in rows] == [2, 2]   # face 2 (Telea lost it) and face 3 left out
    assert rows[0]["method cosine"] == pytest.approx(0.65) and rows[0]["Telea cosine"] == pytest.approx(0.55)
    assert rows[0]["difference"] == "+0.100 ± 0.100"   # differences 0.2 and 0.0
    assert rows[1]["method cosine"] == pytest.approx(0.5) and rows[1]["Telea cosine"] == pytest.approx(0.35)
    # A later run of another method keeps these rows beside its own.
    later = {"telea": per_face["telea"], "patent_full": per_face[next(m for m in per_face if m != "telea")]}
    inpainting_eval.identity_against_telea(later, bins, tmp_path)
    methods = [row["method"] for row in report_files.read_csv(tmp_path / "identity_against_telea.csv")]
    assert methods == [rows[0]["method"]] * 2 + ["patent_full"] * 2


def test_a_poorer_figure_never_replaces_a_fuller_one(tmp_path):
    faces = np.zeros((2, 16, 16, 3), np.uint8)
    holes = np.zeros((2, 16, 16), np.float32)
    every = {method: faces for method in inpainting_eval.FIGURE_METHODS}
    inpainting_eval._figure(["a", "b"], faces, holes, every, tmp_path)
    assert (tmp_path / "figure.txt").read_text().startswith("columns: masked, " + ", ".join(
        inpainting_eval.FIGURE_METHODS) + ", original")
    drawn = (tmp_path / "figure.png").stat().st_mtime_ns
    some = {method: faces for method in inpainting_eval.FIGURE_METHODS[:1]}
    inpainting_eval._figure(["a", "b"], faces, holes, some, tmp_path)
    assert (tmp_path / "figure.png").stat().st_mtime_ns == drawn   # kept
    assert "inversion" in (tmp_path / "figure.txt").read_text()
    inpainting_eval._figure(["a", "b"], faces, holes, some, tmp_path / "new")   # no figure yet: drawn
    assert (tmp_path / "new" / "figure.png").is_file()
