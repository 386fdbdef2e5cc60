"""Face parsing: the TF.js graph reader on a hand-made graph, and the 11 regions on a real photo."""

import json

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import json_format

from tf_reconstruct.converters import tfjs_graph
from tf_reconstruct.inpainting import parsing


def test_tfjs_graph_reader_fills_float16_quantised_constants(tmp_path):
    graph = tf.Graph()
    with graph.as_default():
        inputs = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        weight = tf.constant(np.zeros((2, 1), np.float32), name="w")
        tf.identity(tf.matmul(inputs, weight), name="y")
    topology = json.loads(json_format.MessageToJson(graph.as_graph_def()))
    for node in topology["node"]:
        node.get("attr", {}).pop("value", None)   # as TF.js stores it: values live in the .bin
    weights = np.array([[1.5], [-2.0]], np.float16)
    (tmp_path / "model.bin").write_bytes(weights.tobytes())
    (tmp_path / "model.json").write_text(json.dumps({
        "format": "graph-model", "modelTopology": topology,
        "weightsManifest": [{"paths": ["model.bin"], "weights": [
            {"name": "w", "shape": [2, 1], "dtype": "float32", "quantization": {"dtype": "float16"}}]}]}))
    function = tfjs_graph.GraphFunction(tfjs_graph.read_graph(tmp_path / "model.json"), "x:0", "y:0")
    np.testing.assert_allclose(function(np.array([[2.0, 1.0]], np.float32)).numpy(), [[1.0]])


def test_paint_places_features_inside_the_face_and_hair_above_it():
    points = np.zeros((68, 2))
    points[0:17] = np.stack([np.linspace(20, 80, 17), 60 + 30 * np.sin(np.linspace(0, np.pi, 17))], axis=1)   # jaw
    points[17:27] = np.stack([np.linspace(28, 72, 10), np.full(10, 40)], axis=1)                           # brows
    points[27:36] = [[50, 45], [50, 50], [50, 55], [50, 60], [44, 64], [47, 65], [50, 66], [53, 65], [56, 64]]
    points[36:42] = [[34, 48], [37, 46], [40, 46], [43, 48], [40, 50], [37, 50]]
    points[42:48] = points[36:42] + [24, 0]
    points[48:60] = np.stack([50 + 10 * np.cos(np.linspace(0, 2 * np.pi, 13)[:12]),
                              76 + 4 * np.sin(np.linspace(0, 2 * np.pi, 13)[:12])], axis=1)
    points[60:68] = np.stack([50 + 5 * np.cos(np.linspace(0, 2 * np.pi, 9)[:8]),
                              76 + 1.5 * np.sin(np.linspace(0, 2 * np.pi, 9)[:8])], axis=1)
    person = np.zeros((100, 100), np.float32)
    person[10:, 15:85] = 1.0
    labels = parsing.paint(points, person, (100, 100))
    name = {index: region for index, region in enumerate(parsing.REGIONS)}
    assert name[labels[47, 38]] == "left_eye" and name[labels[47, 62]] == "right_eye"
    assert name[labels[76, 50]] == "mouth" and name[labels[79, 56]] == "lips"
    assert name[labels[58, 50]] == "nose" and name[labels[70, 30]] == "skin"
    assert name[labels[15, 50]] == "hair" and name[labels[95, 50]] == "neck_body" and name[labels[5, 5]] == "background"
    assert parsing.one_hot(labels).shape == (100, 100, 11)


@pytest.mark.models
def test_parser_on_a_real_photo_finds_eyes_at_mtcnn_eyes(raw_model):
    from conftest import require_shared_data
    from tf_reconstruct.align import photo_align
    from tf_reconstruct.datasets import lfw
    image = lfw.load_lfw(require_shared_data("lfw")).read(["George_W_Bush_0001"])["George_W_Bush_0001"]
    labels = parsing.Parser.load()(image, "George_W_Bush_0001")
    subject = photo_align.detect_subject(image)
    for key, region in (("left_eye", "left_eye"), ("right_eye", "right_eye")):
        x, y = (int(round(v)) for v in subject["keypoints"][key])
        window = labels[y - 3:y + 4, x - 3:x + 4]
        assert parsing.INDEX[region] in window, (key, np.unique(window))
    present = set(np.unique(labels))
    assert {parsing.INDEX[r] for r in ("background", "skin", "hair", "neck_body", "nose", "lips")} <= present
    assert labels[0, 0] == parsing.INDEX["background"] or labels[0, -1] == parsing.INDEX["background"]


def test_a_framed_face_mtcnn_misses_is_parsed_in_the_others_median_box(raw_model):
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    from tf_reconstruct.studies import inpainting_eval
    image = lfw.load_lfw(require_shared_data("lfw")).read(["George_W_Bush_0001"])["George_W_Bush_0001"]
    blank = np.full_like(image, 128)   # no face for MTCNN: parsed where the other face's box is
    parser = parsing.Parser.load()
    labels, missed = inpainting_eval.parse_framed(parser, np.stack([image, image, blank]), ["a", "b", "blank"])
    assert missed == [2] and labels.shape == (3,) + image.shape[:2] and labels.dtype == np.uint8
    np.testing.assert_array_equal(labels[0], parser(image, "a"))
    assert parsing.INDEX["skin"] in labels[2]   # the face hull painted in the borrowed box
    with pytest.raises(Exception, match="none of the 1"):
        inpainting_eval.parse_framed(parser, blank[None], ["blank"])
