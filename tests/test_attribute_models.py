"""The pose, expression, landmark and eye-state wrappers: their JavaScript crops and tensors on hand-made
cases, and all five classifiers on a real photo."""

import numpy as np
import pytest

from tf_reconstruct.attributes import classifiers, expression_net, eye_state, hopenet, landmarks68


def test_pose_crop_adds_a_quarter_on_each_side_and_clamps_the_corner():
    # A 40x40 box at (100, 100): 10 px more on each side -> 60x60 from (90, 90).
    assert hopenet.crop_box([100, 100, 40, 40], 400, 400) == [90, 90, 60, 60]
    # At the corner: x1 = -10 is clamped to 0, the width stays 60 (the JavaScript's rule).
    assert hopenet.crop_box([0, 0, 40, 40], 400, 400) == [0, 0, 60, 60]
    # Past the right edge the width is cut to what the image holds.
    assert hopenet.crop_box([370, 100, 40, 40], 400, 400) == [360, 90, 40, 60]


def test_pose_decode_is_the_bin_expectation_times_three_minus_99():
    logits = np.full(66, -1e9)
    logits[33] = 0.0            # all mass on bin 33 -> 33 * 3 - 99 = 0 degrees
    assert hopenet.decode(logits) == pytest.approx(0.0)
    logits[[10, 20]] = 0.0      # bins 10, 20, 33 equally -> (63 / 3) * 3 - 99 = -36
    logits[33] = 0.0
    assert hopenet.decode(logits) == pytest.approx(21 * 3 - 99)


def test_pose_input_is_bgr_with_the_statistics_by_position():
    crop = np.zeros((224, 224, 3), np.uint8)
    crop[..., 2] = 255   # pure blue
    tensor = hopenet.normalise(crop)
    assert tensor.shape == (1, 3, 224, 224)
    np.testing.assert_allclose(tensor[0, 0, 5, 5], (1.0 - 0.485) / 0.229, rtol=1e-6)
    np.testing.assert_allclose(tensor[0, 2, 5, 5], (0.0 - 0.406) / 0.225, rtol=1e-6)


def test_expression_crop_grows_from_the_corner_and_probabilities_name_fer_classes():
    assert expression_net.crop_box([50, 60, 100, 50], 640, 480) == [50, 60, 120, 60]
    assert expression_net.crop_box([600, 60, 100, 50], 640, 480) == [600, 60, 40, 60]
    logits = np.zeros(7)
    logits[3] = np.log(4.0)   # happy: 4 / (6 + 4)
    probabilities = expression_net.probabilities(logits)
    assert list(probabilities) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert probabilities["happy"] == pytest.approx(0.4) and probabilities["neutral"] == pytest.approx(0.1)
    tensor = expression_net.normalise(np.full((224, 224, 3), 51, np.uint8))
    assert tensor.shape == (1, 3, 224, 224) and tensor[0, 1, 0, 0] == pytest.approx(0.2)


def test_landmarks_decode_uses_the_box_and_truncates():
    outputs = np.zeros(136)
    outputs[0:2] = [0.5, 0.25]     # point 0 at the middle of the box's width, a quarter down
    points = landmarks68.decode(outputs, [10, 20, 101, 41])
    assert points.shape == (68, 2)
    assert points[0].tolist() == [60.0, 30.0]   # 10 + 50.5 -> 60; 20 + 10.25 -> 30
    assert points[1].tolist() == [10.0, 20.0]
    assert landmarks68.normalise(np.full((64, 64), 128, np.uint8))[0, 0, 0, 0] == pytest.approx(0.5)


def test_eye_boxes_centre_on_the_lids_with_1_6_times_the_corner_width():
    points = np.zeros((68, 2))
    points[[37, 38, 40, 41]] = [[48, 98], [52, 98], [52, 102], [48, 102]]   # left eye centred at (50, 100)
    points[36], points[39] = [40, 100], [60, 100]                              # 20 px wide -> side 32
    points[[43, 44, 46, 47]] = [[148, 98], [152, 98], [152, 102], [148, 102]]
    points[42], points[45] = [140, 100], [160, 100]
    left, right = eye_state.eye_boxes(points, 400, 400)
    assert left == [34, 84, 32, 32] and right == [134, 84, 32, 32]
    # Near the image's right edge the side shrinks to fit.
    _, right = eye_state.eye_boxes(points, 160, 400)
    assert right == [134, 84, 25, 25]   # 160 - 134 - 1


def test_unknown_attribute_names_the_valid_ones():
    with pytest.raises(ValueError, match="eyes_open"):
        classifiers.load_for(["beard"])
    with pytest.raises(ValueError, match="expression"):
        classifiers.load("beard")


@pytest.mark.models
def test_all_classifiers_on_a_frontal_open_eyed_photo(raw_model):
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    image = lfw.load_lfw(require_shared_data("lfw")).read(["George_W_Bush_0001"])["George_W_Bush_0001"]
    loaded = [classifiers.load(name) for name in classifiers.CLASSIFIERS]
    values = classifiers.describe(image, loaded, "George_W_Bush_0001")
    assert set(values) == set(classifiers.ATTRIBUTES)
    assert values == classifiers.describe(image, loaded, "George_W_Bush_0001")   # deterministic
    assert abs(values["yaw"]) < 25 and abs(values["pitch"]) < 25 and values["eyes_open"] > 0.5
    assert values["gender"] > 0.5
    # The mirror image turns the head the other way by about as much.
    mirrored = classifiers.describe(image[:, ::-1].copy(), loaded[2:3], "mirrored")
    assert mirrored["yaw"] == pytest.approx(-values["yaw"], abs=6)
