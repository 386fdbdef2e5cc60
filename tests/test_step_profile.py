"""The step profile's bookkeeping on hand-made op names and intervals (the trace itself is the study's)."""

import pytest

from tf_reconstruct.studies import step_profile


def test_ops_are_sorted_into_components_and_directions():
    name = "mobilefacenet192"
    assert step_profile.component_of("mobile_synthesis_512/layers_5_conv2/Conv2D:_MklNativeConv2D", name) == (
        "generator 512 px", "forward")
    assert step_profile.component_of(
        "gradient_tape/mobile_synthesis_512/layers_0_conv1/Conv2DBackpropInput:_MklNativeConv2DBackpropInput",
        name) == ("generator 16 px", "backward")
    assert step_profile.component_of("mobile_synthesis_512/mul:Mul", name) == ("generator, other", "forward")
    assert step_profile.component_of("gradient_tape/mobilefacenet192/conv/Relu:ReluGrad", name) == (
        "extractor", "backward")
    assert step_profile.component_of("transform/ImageProjectiveTransformV3:ImageProjectiveTransformV3", name) == (
        "warp", "forward")
    assert step_profile.component_of("SGD/ResourceApplyGradientDescent:ResourceApplyGradientDescent", name) == (
        "optimizer", "forward")
    assert step_profile.component_of("AddN_58:AddN", name) == ("other", "forward")


def test_busy_time_is_the_union_of_the_ops_intervals():
    picoseconds = 10 ** 12
    # [0, 2] and [1, 3] overlap into [0, 3]; [5, 6] is apart: 4 s busy of 5 s summed.
    intervals = [(0, 2 * picoseconds), (1 * picoseconds, 3 * picoseconds), (5 * picoseconds, 6 * picoseconds)]
    assert step_profile.busy_seconds(intervals) == pytest.approx(4.0)
    assert step_profile.busy_seconds([(0, picoseconds), (0, picoseconds // 2)]) == pytest.approx(1.0)
    assert step_profile.busy_seconds([]) == 0


def test_the_table_gives_seconds_per_step_shares_and_the_overhead():
    grouped = {("generator 512 px", "forward"): 2.0, ("generator 512 px", "backward"): 4.0,
               ("generator 16 px", "forward"): 1.0, ("extractor", "backward"): 3.0}
    rows = step_profile.table(grouped, busy=8.0, wall=9.0, steps=2, batch=8)
    assert [row["component"] for row in rows[:3]] == ["generator 512 px", "generator 16 px", "extractor"]
    assert rows[0]["s / step"] == 3.0 and rows[0]["% of op time"] == 60.0
    assert rows[0]["forward s / step"] == 1.0 and rows[0]["backward s / step"] == 2.0
    by_label = {row["component"]: row["s / step"] for row in rows[3:]}
    assert by_label["ops, summed over threads (1.25 x overlap)"] == 5.0
    assert by_label["Python and executor overhead (wall less busy)"] == 0.5
    assert by_label["wall, 8 faces a step"] == 4.5
