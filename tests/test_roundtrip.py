"""Save and load of every converted model, and config round trips of the custom layers."""

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.converters import weight_table
from tf_reconstruct.models import mapping_network, mobile_stylegan, mobilefacenet


@pytest.mark.models
@pytest.mark.parametrize("name", ["mobilefacenet192", "mobilefacenet512"])
def test_extractor_weights_round_trip(name, tmp_path, request):
    extractor = request.getfixturevalue("extractor192" if name.endswith("192") else "extractor512")
    weight_table.save_npz(extractor.model, tmp_path / "weights.npz")
    reloaded = mobilefacenet.build_mobilefacenet(name)
    weight_table.load_npz(reloaded, tmp_path / "weights.npz")
    faces = np.random.default_rng(0).uniform(0, 255, (2, 112, 112, 3)).astype(np.float32)
    np.testing.assert_array_equal(reloaded(faces).numpy(), extractor.model(faces).numpy())


@pytest.mark.models
def test_generator_weights_round_trip(generator, tmp_path):
    weight_table.save_npz(generator.mapping, tmp_path / "mapping.npz")
    mapping = mapping_network.build_mapping_network()
    weight_table.load_npz(mapping, tmp_path / "mapping.npz")
    z = np.random.default_rng(1).standard_normal((2, 512)).astype(np.float32)
    np.testing.assert_array_equal(mapping(z).numpy(), generator.mapping(z).numpy())
    synthesis = generator.synthesis(1024)
    weight_table.save_npz(synthesis, tmp_path / "synthesis.npz")
    reloaded = mobile_stylegan.build_mobile_synthesis(1024)
    weight_table.load_npz(reloaded, tmp_path / "synthesis.npz")
    w_plus = generator.mean_w_plus(1)
    np.testing.assert_array_equal(reloaded(w_plus).numpy(), synthesis(w_plus).numpy())


def test_keras_format_round_trip_of_custom_layers(tmp_path):
    model = mobile_stylegan.build_mobile_synthesis(16)
    w_plus = np.random.default_rng(2).standard_normal((1, 23, 512)).astype(np.float32)
    model.save(tmp_path / "synthesis.keras")
    reloaded = tf.keras.models.load_model(tmp_path / "synthesis.keras", compile=False)
    np.testing.assert_allclose(reloaded(w_plus).numpy(), model(w_plus).numpy(), atol=1e-6)
    extractor = mobilefacenet.build_mobilefacenet("mobilefacenet512")
    extractor.save(tmp_path / "extractor.keras")
    faces = np.full((1, 112, 112, 3), 100.0, np.float32)
    np.testing.assert_allclose(tf.keras.models.load_model(tmp_path / "extractor.keras")(faces).numpy(),
                               extractor(faces).numpy(), atol=1e-6)
