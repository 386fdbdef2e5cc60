"""Table 3 and Table 4 rows on hand-computed cases; the precision choice on given CPU flags."""

import json
import math
import pathlib

import pytest

from tf_reconstruct.evaluation import comparison, methods
from tf_reconstruct.models import precision
from tf_reconstruct.optimize.settings import EngineSettings


def test_method_row_counts_scores_strictly_above_the_threshold():
    row = comparison.method_rows("ours", "ours", "mobilefacenet192", "1024x1024", "all", 0.4,
                                 type_one=[0.9, 0.4, -float("inf")], type_two=[0.5, 0.41, 0.39, 0.1], steps=[10, 30])
    assert row["type I TAR %"] == pytest.approx(100 / 3)        # 0.4 itself is rejected (ties against acceptance)
    assert row["type II TAR %"] == pytest.approx(50.0)
    assert row["identities"] == 3 and row["type II comparisons"] == 4 and row["mean steps"] == 20
    assert math.isnan(row["type II TAR % per identity"])     # no owners given
    empty = comparison.method_rows("nbnet", "NbNet", "m", "160x160", "all", 0.4, [0.5], [], [])
    assert math.isnan(empty["type II TAR %"]) and math.isnan(empty["mean steps"])


def test_type_two_per_identity_counts_each_person_once():
    # a: 1 of 3 accepted, b: 1 of 1 -> per identity (1/3 + 1) / 2 = 2/3; per comparison 2 of 4.
    row = comparison.method_rows("ours", "ours", "m", "1024x1024", "all", 0.5, type_one=[0.9, 0.9],
                                 type_two=[0.9, 0.1, 0.2, 0.8], steps=[1, 1], type_two_owners=["a", "a", "a", "b"])
    assert row["type II TAR %"] == pytest.approx(50.0)
    assert row["type II TAR % per identity"] == pytest.approx(200 / 3)


def test_liveness_rows_count_no_face_as_failed():
    rows = comparison.liveness_rows({("antispoof", "NbNet"): [True, None, False, True],
                                     ("faceplugin", "NbNet"): []})
    assert rows[0] == {"detector": "antispoof", "method": "NbNet", "count": 4, "passed": 2, "failed": 2,
                       "of which no face": 1, "pass %": 50.0}
    assert rows[1]["count"] == 0 and math.isnan(rows[1]["pass %"])


def test_methods_are_checked_and_the_reference_is_ours_or_else_the_first_optimisation():
    from tf_reconstruct.errors import TfReconstructError
    methods.check_methods(["ours", "nbnet"])
    assert methods.reference(["nbnet", "ours"]) == "ours"
    methods.check_methods(["ours_plus", "mapping"])       # no ours: ours_plus is the reference
    assert methods.reference(["ours_plus", "mapping"]) == "ours_plus"
    with pytest.raises(TfReconstructError, match="nbnet is not one; put ours or one of ours_plus"):
        methods.check_methods(["nbnet"])
    with pytest.raises(TfReconstructError, match="unknown gan"):
        methods.check_methods(["ours", "gan"])
    with pytest.raises(TfReconstructError, match="add ours"):
        methods.check_methods(["ours_plus", "ours_restarts"])


def test_main_refuses_bad_methods_and_settings_in_one_line_before_loading_anything(tmp_path):
    from cli_in_process import run_cli
    for args, expected in ((["--methods=mapping"], "error: --methods=mapping: without ours the first method"),
                           (["--methods=ours,bogus"], "error: --methods: unknown bogus"),
                           (["--optimizer=adam", "--restarts=2"], "error: engine settings: restarts need optimizer"),
                           (["--impostors=all,everyone"], "error: --impostors: unknown everyone; choose from"),
                           (["--liveness=antispoof,mirror"], "error: --liveness: unknown mirror; choose from")):
        done = run_cli("tf_reconstruct.main", "--dataset=lfw", f"--data_dir={tmp_path / 'absent'}", *args)
        assert done.returncode == 2 and done.stderr.strip().splitlines()[-1].startswith(expected), done.stderr


def test_auto_precision_follows_the_cpu_flags(tmp_path):
    amx = tmp_path / "amx"
    amx.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16\n")
    avx2 = tmp_path / "avx2"
    avx2.write_text("processor\t: 0\nflags\t\t: fpu sse avx avx2 fma\n")
    assert precision.cpu_has_native_bfloat16(str(amx))
    assert not precision.cpu_has_native_bfloat16(str(avx2))
    assert not precision.cpu_has_native_bfloat16(str(tmp_path / "missing"))
    # Every timing names the CPU kind it came from.
    tile = tmp_path / "tile"
    tile.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_tile\n")
    assert [precision.cpu_kind(str(path)) for path in (tile, amx, avx2, tmp_path / "missing")] == [
        "AVX-512 with AMX", "AVX-512", "AVX2 only", "unknown"]
    assert precision.resolve("auto") in precision.PRECISIONS and precision.resolve("float32") == "float32"
    with pytest.raises(ValueError, match="auto"):
        precision.resolve("float16")


def test_a_run_folder_goes_on_under_another_precision_but_not_other_settings(tmp_path):
    from tf_reconstruct.evaluation import experiment

    settings = EngineSettings(steps=2000, resolution=512, precision="bfloat16")
    experiment._check_settings(tmp_path, settings)
    experiment._check_settings(tmp_path, settings.replace(precision="auto", batch_size=4))
    with pytest.raises(ValueError, match="resolution"):
        experiment._check_settings(tmp_path, settings.replace(resolution=256))
    # A folder of an older run, whose settings named fewer fields, goes on under the settings that reproduce it.
    (tmp_path / "engine_settings.json").write_text(json.dumps({"steps": 2000, "patience": 50, "resolution": 512,
                                                               "truncation": 0.7, "precision": "float32"}))
    experiment._check_settings(tmp_path, EngineSettings())
    with pytest.raises(ValueError, match="augment"):
        experiment._check_settings(tmp_path, EngineSettings(augment=1.0))


def test_optimising_methods_take_at_most_the_limit_of_new_identities_and_keep_finished_ones(tmp_path):
    import numpy as np
    from tf_reconstruct.optimize import runner
    folder = methods.output_dir(tmp_path, "w_mean")
    folder.mkdir()
    runner.write_outputs(folder, "b", np.zeros((4, 4, 3), np.uint8), np.zeros((23, 512), np.float32), {"steps": 3})
    templates = {name: np.full(4, index, np.float32) for index, name in enumerate("abcd")}
    pending, work = methods._optimisation_work(tmp_path, "w_mean", templates, limit=2)
    assert pending == ["a", "c"]
    assert [name for name, _ in work] == ["a", "b", "c"] and work[2][1][0] == 2
    assert methods._optimisation_work(tmp_path, "w_mean", templates, limit=None)[0] == ["a", "c", "d"]
    assert methods.ABLATIONS["z_mean"] == {"space": "z", "init": "mean"} and set(methods.ABLATIONS) < set(methods.METHODS)


@pytest.mark.models
def test_restarts_copy_ours_where_it_made_a_face_and_leave_overshoots_and_non_faces_to_run(tmp_path, generator):
    import numpy as np
    from tf_reconstruct.optimize import reconstruct as engine
    from tf_reconstruct.optimize import runner
    face = engine.render(generator, generator.mean_w_plus(), resolution=256)[0][0]   # the mean face
    flat = np.full_like(face, 128)                                                   # a texture: no face
    ours = methods.output_dir(tmp_path, "ours")
    settings = EngineSettings(steps=2000, patience=50)
    for name, steps, image in (("overshot", 52, face), ("fine", 300, face), ("capped", 2000, face),
                               ("texture", 300, flat)):
        runner.write_outputs(ours, name, image, np.full((23, 512), steps, np.float32),
                             {"steps": steps, "settings": settings.to_record()})
    assert methods.ours_overshot({"steps": 52}, settings) and not methods.ours_overshot({"steps": 56}, settings)
    templates = {name: np.ones(4, np.float32) for name in ("overshot", "fine", "capped", "texture")}
    # No new optimisation allowed: the overshot and the texture wait, so no model is needed.
    assert methods._restart_outputs(tmp_path, generator, None, templates, settings, limit=0) == 0
    folder = methods.output_dir(tmp_path, "ours_restarts")
    assert methods.finished(tmp_path, "ours_restarts", list(templates)) == ["fine", "capped"]
    assert runner.read_record(folder, "fine") == {"steps": 300, "settings": settings.to_record(), "method": "ours_restarts",
                                                  "restarts": 0, "copied_from": "ours", "face_found": True}
    assert (folder / "fine_wplus.npy").read_bytes() == (ours / "fine_wplus.npy").read_bytes()
    assert (folder / "fine.png").read_bytes() == (ours / "fine.png").read_bytes()
    # Once the overshot one has run again it is the only face that differs from ours, so the grid shows it.
    runner.write_outputs(folder, "overshot", face, np.zeros((23, 512), np.float32), {"steps": 700, "restarts": 1})
    assert methods.rerun_by_restarts(tmp_path, ["fine", "overshot", "capped"]) == ["overshot"]
    # A face made before the face check joined the method stands if it shows a face, else it is made again.
    runner.write_outputs(folder, "texture", flat, np.zeros((23, 512), np.float32), {"steps": 90, "restarts": 1})
    methods._restart_outputs(tmp_path, generator, None, templates, settings, limit=0)
    assert methods.finished(tmp_path, "ours_restarts", list(templates)) == ["overshot", "fine", "capped"]
    assert runner.read_record(folder, "overshot")["face_found"]   # checked once, not at every rescore


def test_a_clone_renders_the_mappings_faces_again_from_their_committed_w_plus(tmp_path, generator):
    import numpy as np
    folder = methods.output_dir(tmp_path, "mapping")
    folder.mkdir()
    w_plus = generator.mean_w_plus()[0] + 0.1
    np.save(folder / "a_wplus.npy", w_plus)
    (folder / "a.json").write_text(json.dumps({"template": "a", "method": "mapping", "steps": 0}))
    # Every template is done, so no trained Mapping is read (the baselines folder does not exist).
    made = methods.make_outputs(["ours", "mapping"], tmp_path, generator, None, {"a": np.ones(4, np.float32)},
                                tmp_path / "no_baselines", EngineSettings())
    assert made == {"mapping": 0}
    face = methods.read_face(tmp_path, "mapping", "a")
    assert face.shape == (1024, 1024, 3)
    # The pixels the Mapping rendered when it predicted this w+.
    from tf_reconstruct.optimize import reconstruct as engine
    assert np.array_equal(face, np.asarray(engine.render(generator, w_plus[None])[0][0]))


def test_nbnet_faces_of_a_since_retrained_nbnet_are_discarded(tmp_path):
    old = {"pairs": 20, "best_epoch": 1, "epochs": [{"epoch": 1, "validation": [0.2, 0.1, 0.3]}]}
    folder = methods.output_dir(tmp_path, "nbnet")
    folder.mkdir()
    (folder / "a.png").write_bytes(b"face")
    (folder / "model.json").write_text(json.dumps(old))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "aligned_nbnet.npz").write_bytes(b"aligned")
    methods._discard_stale_nbnet(tmp_path, folder, {**old, "parameters": 5})   # the same model: kept
    assert (folder / "a.png").is_file() and (tmp_path / "cache" / "aligned_nbnet.npz").is_file()
    retrained = {**old, "best_epoch": 2, "epochs": old["epochs"] + [{"epoch": 2, "validation": [0.1, 0.1, 0.1]}]}
    methods._discard_stale_nbnet(tmp_path, folder, retrained)
    assert not (folder / "a.png").exists() and not (tmp_path / "cache" / "aligned_nbnet.npz").exists()
    assert not (folder / "model.json").exists()


def test_each_method_gets_a_like_for_like_row_beside_ours():
    done = {"ours": ["a", "b"], "mapping": ["a", "b", "c", "d"], "mapping_opt": ["a"], "nbnet": ["a", "b"]}
    assert comparison._row_subsets("ours", done) == [("ours", ["a", "b"], "ours (W+ optimisation)")]
    # A one-pass method on more identities than ours: also scored on ours' two.
    assert comparison._row_subsets("mapping", done) == [
        ("mapping", ["a", "b", "c", "d"], "Mapping (w)"), ("mapping", ["a", "b"], "Mapping (w), on the 2 ours has finished")]
    # An optimising method on fewer: ours is scored again on its one.
    assert comparison._row_subsets("mapping_opt", done) == [
        ("mapping_opt", ["a"], "Mapping + optimisation"),
        ("ours", ["a"], "ours (W+ optimisation), on Mapping + optimisation's 1")]
    assert comparison._row_subsets("nbnet", done) == [("nbnet", ["a", "b"], "NbNet")]
    # Without ours, the reference is the run's first method, and the rows say so.
    done = {"ours_plus": ["a", "b"], "mapping_opt": ["a"]}
    assert comparison._row_subsets("ours_plus", done, "ours_plus") == [
        ("ours_plus", ["a", "b"], methods.LABELS["ours_plus"])]
    assert comparison._row_subsets("mapping_opt", done, "ours_plus") == [
        ("mapping_opt", ["a"], "Mapping + optimisation"),
        ("ours_plus", ["a"], f"{methods.LABELS['ours_plus']}, on Mapping + optimisation's 1")]


def test_a_methods_grid_keeps_its_rows_when_a_slow_method_has_done_fewer():
    usable = {name: [f"{name}1"] for name in "abcdefg"}
    done = {"ours": list("abcdefg"), "mapping": list("abcdefg"), "mapping_opt": ["b", "e"]}
    assert comparison.grid_rows(usable, done, ["ours", "mapping", "mapping_opt"]) == list("beacdf")
    assert comparison.grid_rows(usable, done, ["ours"], count=3) == list("abc")
    assert comparison.grid_rows({}, done, ["ours"]) == []
    # Featured identities (ours + restarts ran them again) lead, even where a slow method left a grey tile.
    assert comparison.grid_rows(usable, done, ["ours", "mapping_opt"], count=4, featured={"e", "g"}) == list("egba")
    assert comparison.grid_rows(usable, done, ["ours"], count=3, featured={"e", "g"}) == list("ega")


def test_the_paper_size_command_resumes_the_committed_run():
    from tf_reconstruct import main

    name = main.default_run_name("mobilefacenet192", 150, 0, "sgd", 0.7, 512)
    assert name == "mobilefacenet192_150id_seed0_sgd_t0.7_512px"
    assert (pathlib.Path(__file__).parents[1] / "experiments" / "lfw" / name / "engine_settings.json").is_file()


def test_rows_of_methods_a_rerun_does_not_compare_are_kept_and_grouped_with_their_evaluator():
    assert comparison.comparison_of("Mapping (w)") == "mapping"
    assert comparison.comparison_of("Mapping (w+), on the 20 ours has finished") == "mapping_wplus"
    assert comparison.comparison_of("ours (W+ optimisation), on NbNet's 20") == "nbnet"
    assert comparison.comparison_of("ours + restarts") == "ours_restarts"
    assert comparison.comparison_of("ours (W+ optimisation)") == "ours"
    assert comparison.comparison_of("something else") is None
    earlier = [{"method": label, "extractor": extractor, "impostors": "all"}
               for extractor in ("a", "b") for label in ("ours (W+ optimisation)", "NbNet",
                                                         "ours (W+ optimisation), on NbNet's 20", "ours + restarts")]
    kept = comparison.kept_rows(earlier, ["ours", "ours_restarts"])
    assert [(row["extractor"], row["method"], row["comparison"]) for row in kept] == [
        ("a", "NbNet", "nbnet"), ("a", "ours (W+ optimisation), on NbNet's 20", "nbnet"),
        ("b", "NbNet", "nbnet"), ("b", "ours (W+ optimisation), on NbNet's 20", "nbnet")]
    new = [{"method": "ours", "extractor": extractor, "impostors": "all"} for extractor in ("a", "b")]
    assert [(row["extractor"], row["method"]) for row in comparison.grouped_like(new + kept)] == [
        ("a", "ours"), ("a", "NbNet"), ("a", "ours (W+ optimisation), on NbNet's 20"),
        ("b", "ours"), ("b", "NbNet"), ("b", "ours (W+ optimisation), on NbNet's 20")]


@pytest.mark.models
def test_restarts_reuse_ours_first_attempt_only_if_computed_in_the_same_precision(tmp_path, generator, extractor192):
    import numpy as np
    from tf_reconstruct.optimize import reconstruct as engine
    from tf_reconstruct.optimize import runner
    flat = np.full((64, 64, 3), 128, np.uint8)
    ours = methods.output_dir(tmp_path, "ours")
    w_plus = generator.mean_w_plus()[0]
    for name, computed_in in (("same", "float32"), ("other", "bfloat16")):
        runner.write_outputs(ours, name, flat, w_plus, {"steps": 300, "computed_in": computed_in})
    settings = EngineSettings(steps=2, patience=50, resolution=32, precision="float32", batch_size=2)
    templates = {name: extractor192(engine.render(generator, w_plus[None], resolution=256)[0][:, 72:184, 72:184])
                 .numpy()[0] for name in ("same", "other")}
    assert methods._restart_outputs(tmp_path, generator, extractor192, templates, settings, limit=2) == 2
    folder = methods.output_dir(tmp_path, "ours_restarts")
    same, other = runner.read_record(folder, "same"), runner.read_record(folder, "other")
    assert same["first_attempt_reused"] and same["restarts"] >= 1 and same["steps"] >= 302
    assert "first_attempt_reused" not in other and other["steps"] < 300


def test_liveness_scores_are_cached_by_what_made_each_image(tmp_path):
    calls = []

    def detector(image, key):
        calls.append(key)
        return float(image), image > 0.5

    images = {"photo/a": lambda: 0.9, "nbnet/a": lambda: 0.2}
    made_by = {"photo/a": "photo a_0001", "nbnet/a": "first network"}
    assert comparison._liveness(tmp_path, {"d": detector}, images, made_by) == {"d": {"photo/a": True, "nbnet/a": False}}
    assert sorted(calls) == ["nbnet/a", "photo/a"]
    # The same images: nothing is scored again.
    comparison._liveness(tmp_path, {"d": detector}, images, made_by)
    assert len(calls) == 2
    # NbNet retrained: its face is new, so only it is scored again, and the new score is the one reported.
    images["nbnet/a"] = lambda: 0.7
    decided = comparison._liveness(tmp_path, {"d": detector}, images, {**made_by, "nbnet/a": "second network"})
    assert calls[2:] == ["nbnet/a"] and decided["d"]["nbnet/a"] is True
    # A cache written before stamps were kept is scored again once.
    cached = json.loads((tmp_path / "liveness_scores.json").read_text())
    del cached["d"]["photo/a"]["made_by"]
    (tmp_path / "liveness_scores.json").write_text(json.dumps(cached))
    comparison._liveness(tmp_path, {"d": detector}, images, {**made_by, "nbnet/a": "second network"})
    assert calls[3:] == ["photo/a"]


def test_a_face_stamp_follows_its_w_plus_or_else_its_png(tmp_path):
    import numpy as np
    from tf_reconstruct.optimize import runner
    folder = methods.output_dir(tmp_path, "ours")
    runner.write_outputs(folder, "a", np.zeros((4, 4, 3), np.uint8), np.zeros((23, 512), np.float32), {"steps": 1})
    first = comparison.face_stamp(tmp_path, "ours", "a")
    np.save(folder / "a_wplus.npy", np.ones((23, 512), np.float32))
    assert comparison.face_stamp(tmp_path, "ours", "a") != first and len(first) == 16
    nbnet = methods.output_dir(tmp_path, "nbnet")
    nbnet.mkdir()
    (nbnet / "a.png").write_bytes(b"png one")
    assert comparison.face_stamp(tmp_path, "nbnet", "a") != first


def test_an_interrupted_liveness_scoring_keeps_what_it_scored(tmp_path):
    def detector(image, key):
        if image == 60:
            raise KeyboardInterrupt
        return float(image), True

    images = {f"m/{index}": (lambda index=index: index) for index in range(80)}
    made_by = {key: "w" for key in images}
    with pytest.raises(KeyboardInterrupt):
        comparison._liveness(tmp_path, {"d": detector}, images, made_by)
    kept = json.loads((tmp_path / "liveness_scores.json").read_text())["d"]
    assert sorted(kept, key=lambda key: int(key[2:])) == [f"m/{index}" for index in range(50)]
