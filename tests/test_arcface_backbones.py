"""ArcFace Inception/Xception builders: shapes, user-weight loading and its errors."""

import numpy as np
import pytest

from tf_reconstruct.errors import CheckpointFormatError, UserWeightsRequiredError
from tf_reconstruct.models import arcface_backbones, registry


@pytest.mark.parametrize("backbone", ["inception_v3", "inception_resnet_v2", "xception"])
def test_builders_map_aligned_faces_to_512_d(backbone):
    model = arcface_backbones.build_arcface(backbone)
    faces = np.random.default_rng(0).uniform(0, 255, (2, 112, 112, 3)).astype(np.float32)
    assert model(faces, training=False).shape == (2, 512)


def test_user_weights_load_and_reproduce_outputs(tmp_path):
    model = arcface_backbones.build_arcface("xception")
    path = tmp_path / "arcface_xception.h5"
    model.save_weights(path)
    extractor = registry.get_extractor("arcface_xception", weights=path)
    faces = np.full((1, 112, 112, 3), 90.0, np.float32)
    np.testing.assert_allclose(extractor(faces).numpy(), model(faces, training=False).numpy(), atol=1e-5)


def test_missing_weights_say_what_to_supply(tmp_path):
    with pytest.raises(UserWeightsRequiredError, match="--extractor_weights"):
        registry.get_extractor("arcface_inception_v3")
    with pytest.raises(UserWeightsRequiredError, match="Nothing exists"):
        registry.get_extractor("arcface_inception_v3", weights=tmp_path / "absent.h5")


def test_weights_of_another_backbone_are_refused(tmp_path):
    path = tmp_path / "xception.h5"
    arcface_backbones.build_arcface("xception").save_weights(path)
    with pytest.raises(CheckpointFormatError, match="does not fit"):
        arcface_backbones.load_arcface("inception_v3", path)
