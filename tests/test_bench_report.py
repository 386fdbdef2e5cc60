"""The benchmark reports each engine option's cost as a ratio to the paper's step of the same sitting, times each
stage of a method's step, and prices a face of each method at the steps it took in a run."""

import json

import pytest

from tf_reconstruct import bench


def measured(label, seconds_per_step, batch=8):
    return bench.Measurement(bench.Mode(label, label, batch, 512), seconds_per_step, 1.0, float("nan"))


def test_option_ratios_divide_each_option_by_the_papers_step():
    sentence = bench.option_ratios([measured("i", 1.0, batch=1), measured("opt-none", 2.0),
                                    measured("opt-eot4", 3.0), measured("opt-spread", 2.2)])
    assert "opt-eot4 1.50x" in sentence and "opt-spread 1.10x" in sentence and "opt-none 1" not in sentence


def test_no_ratios_without_the_papers_step():
    assert bench.option_ratios([measured("i", 1.0, batch=1), measured("opt-eot4", 3.0)]) == ""


def test_a_coarse_to_fine_method_is_timed_stage_by_stage_with_only_its_step_changing_settings():
    listed = bench.method_modes(["ours_plus", "ours_fast_c2f_q99"], 512)
    assert [mode.label for mode in listed] == ["method-ours_plus", "method-ours_fast_c2f_q99-coarse",
                                               "method-ours_fast_c2f_q99-fine"]
    plus, coarse, fine = listed
    assert plus.options == {"augment": 1.0, "augment_views": 4, "spread_penalty": 1.0} and plus.resolution == 512
    assert (coarse.resolution, fine.resolution) == (256, 512)
    assert coarse.options == fine.options == {"augment": 1.0, "augment_views": 2, "spread_penalty": 1.0}
    assert (coarse.method, fine.method, coarse.batch) == (("ours_fast_c2f_q99", "coarse"),
                                                          ("ours_fast_c2f_q99", "fine"), 8)
    with pytest.raises(Exception, match="nonesuch"):
        bench.method_modes(["nonesuch"], 512)


def _records(folder, steps):
    folder.mkdir(parents=True)
    for index, record in enumerate(steps):
        (folder / f"p{index}.json").write_text(json.dumps(record))
        (folder / f"p{index}_wplus.npy").write_bytes(b"")
    (folder / "unfinished.json").write_text(json.dumps({"steps": 1000}))   # no face: not counted


def test_each_method_is_priced_at_the_mean_steps_of_each_stage_in_a_run(tmp_path):
    _records(tmp_path / "reconstructions_ours_plus", [{"steps": 200}, {"steps": 300}])
    _records(tmp_path / "reconstructions_fast", [{"steps": 40, "fine_steps": 10}, {"steps": 60, "fine_steps": 20}])
    steps_of = {"ours_plus": bench.stage_steps(tmp_path, "ours_plus"), "fast": bench.stage_steps(tmp_path, "fast")}
    assert steps_of == {"ours_plus": {"all": 250.0}, "fast": {"fine": 15.0, "coarse": 35.0}}

    def mode(label, method, stage, seconds_per_step):
        return bench.Measurement(bench.Mode(label, label, 8, 512, method=(method, stage)), seconds_per_step, 1.0, 0.0)

    measured = [mode("a", "ours_plus", "all", 8 * 0.3), mode("b", "fast", "coarse", 8 * 0.1),
                mode("c", "fast", "fine", 8 * 0.2)]
    found = bench.method_seconds(measured, steps_of)
    assert found["ours_plus"] == pytest.approx((75.0, 250.0))
    assert found["fast"] == pytest.approx((0.1 * 35 + 0.2 * 15, 50.0))
    sentence = bench.method_sentence(measured, steps_of, "run")
    assert "ours_plus 75.0 s (250.0 steps)" in sentence
    assert "fast 6.5 s (50.0 steps, 11.5x faster than ours_plus)" in sentence
    # A method with a stage not timed is left out rather than priced at part of its cost.
    assert "fast" not in bench.method_seconds(measured[:2], steps_of)
    with pytest.raises(ValueError, match="no finished faces"):
        bench.stage_steps(tmp_path, "ours")
