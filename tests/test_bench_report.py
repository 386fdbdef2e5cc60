"""The benchmark reports each engine option's cost as a ratio to the paper's step of the same sitting."""

from tf_reconstruct import bench


def measured(label, seconds_per_step, batch=8):
    return bench.Measurement(bench.Mode(label, label, batch, 512), seconds_per_step, 1.0, float("nan"))


def test_option_ratios_divide_each_option_by_the_papers_step():
    sentence = bench.option_ratios([measured("i", 1.0, batch=1), measured("opt-none", 2.0),
                                    measured("opt-eot4", 3.0), measured("opt-spread", 2.2)])
    assert "opt-eot4 1.50x" in sentence and "opt-spread 1.10x" in sentence and "opt-none 1" not in sentence


def test_no_ratios_without_the_papers_step():
    assert bench.option_ratios([measured("i", 1.0, batch=1), measured("opt-eot4", 3.0)]) == ""
