"""dlib's ResNet as a third evaluator: its chip geometry on ArcFace crops, determinism, Euclidean scoring and
clear refusals (greyscale input, attacking with it)."""

import os

import numpy as np
import pytest

from conftest import _require_models
from tf_reconstruct.align import generator_warp
from tf_reconstruct.align.template import ARCFACE_TEMPLATE
from tf_reconstruct.metrics import verification
from tf_reconstruct.models import dlib_resnet, registry

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def dlib_extractor():
    # Optional for a user's own install; `make test` (and CI) installs dlib-bin, so there it must load.
    if os.environ.get("TF_RECONSTRUCT_REQUIRE_MODELS") != "1":
        pytest.importorskip("dlib")
    _require_models()
    return registry.get_extractor("dlib_resnet128")


@pytest.fixture(scope="module")
def faces(generator):
    """Three generated people, ArcFace-aligned by the fixed warp, uint8 [3, 112, 112, 3]."""
    z = np.random.default_rng(11).standard_normal((3, 512)).astype(np.float32)
    w_plus = np.repeat(generator.mapping(z).numpy()[:, None] * 0.7 + generator.w_avg * 0.3, generator.num_ws, 1)
    images = np.concatenate([generator.synthesis(1024)(w_plus[i:i + 1]).numpy() for i in range(3)])
    aligned = generator_warp.warp_to_arcface(images, generator.landmarks).numpy()
    return np.clip(np.rint((aligned + 1.0) * 127.5), 0, 255).astype(np.uint8)


def test_landmarks_on_an_arcface_crop_sit_on_the_template_eyes(dlib_extractor, faces):
    for face in faces:
        points = dlib_extractor.landmarks(face)
        # dlib's 5 points: two corners of the subject's left eye (image right), two of the right, nose base.
        image_right_eye, image_left_eye = points[0:2].mean(0), points[2:4].mean(0)
        assert np.linalg.norm(image_left_eye - ARCFACE_TEMPLATE[0]) < 6.0, points
        assert np.linalg.norm(image_right_eye - ARCFACE_TEMPLATE[1]) < 6.0, points
        assert points[4, 1] > ARCFACE_TEMPLATE[2, 1] - 8.0   # the nose base is below the nose tip's height


def test_chips_and_descriptors_are_deterministic_rgb_150px(dlib_extractor, faces):
    chips = dlib_extractor.chips(faces)
    assert chips.shape == (3, 150, 150, 3) and chips.dtype == np.uint8
    first, second = dlib_extractor(faces).numpy(), dlib_extractor(faces).numpy()
    assert first.shape == (3, 128) and first.dtype == np.float32
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[1], dlib_extractor(faces[1:2]).numpy()[0])   # batching changes nothing
    # Channel order matters: the same faces as BGR are described differently.
    assert np.linalg.norm(dlib_extractor(faces[..., ::-1]).numpy() - first, axis=1).min() > 0.01
    # [-1, 1] input is the same faces.
    signed = faces.astype(np.float32) / 127.5 - 1.0
    assert np.abs(dlib_extractor(signed, "signed").numpy() - first).max() < 1e-5


def test_same_face_nearer_than_other_people_under_euclidean_scoring(dlib_extractor, faces):
    shifted = np.roll(faces, 2, axis=2)   # the same person, 2 px off
    vectors = dlib_extractor(np.concatenate([faces, shifted])).numpy()
    similarity = registry.get_extractor("mobilefacenet192").similarity, dlib_extractor.similarity
    assert similarity == ("cosine", "negative_euclidean")
    rows, matrix = verification.similarity_functions(dlib_extractor.similarity)
    same = -rows(vectors[:3], vectors[3:])
    assert (same < dlib_resnet.DISTANCE_THRESHOLD).all(), same
    others = -matrix(vectors[:3], vectors[:3])[np.triu_indices(3, 1)]
    assert same.max() < others.min(), (same, others)


def test_greyscale_and_wrong_sizes_are_refused_with_the_expected_shape(dlib_extractor):
    with pytest.raises(ValueError, match=r"\[B, 112, 112, 3\]"):
        dlib_extractor(np.zeros((1, 112, 112), np.uint8))
    with pytest.raises(ValueError, match=r"\[B, 112, 112, 3\]"):
        dlib_extractor(np.zeros((1, 160, 160, 3), np.uint8))


def test_dlib_cannot_attack_with_gradients_only_as_a_black_box(dlib_extractor):
    with pytest.raises(ValueError, match="no gradients.*attacked as a black box"):
        registry.get_attack_extractor("dlib_resnet128")
