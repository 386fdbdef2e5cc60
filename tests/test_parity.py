"""Keras models against the original runtimes (OpenVINO, TFLite, onnxruntime) on the same inputs."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import cosine

pytestmark = pytest.mark.models


def test_mobilestylegan_matches_openvino_at_1024(generator, raw_model):
    openvino = pytest.importorskip("openvino")
    core = openvino.Core()
    fp32 = {"INFERENCE_PRECISION_HINT": "f32"}  # OpenVINO defaults to bf16 on AMX CPUs
    mapping_ir = core.compile_model(str(raw_model("mobilestylegan_mapping_xml")), "CPU", fp32)
    synthesis_ir = core.compile_model(str(raw_model("mobilestylegan_synthesis_xml")), "CPU", fp32)
    z = np.random.default_rng(11).standard_normal((1, 512)).astype(np.float32)
    w_reference = mapping_ir(z)[0]
    w = generator.mapping(z).numpy()
    np.testing.assert_allclose(w, w_reference, atol=1e-4)
    image_reference = synthesis_ir(w_reference)[0].transpose(0, 2, 3, 1)
    image = generator.synthesis(1024)(np.repeat(w[:, None], generator.num_ws, axis=1)).numpy()
    assert image.shape == (1, 1024, 1024, 3)
    difference = np.abs(image - image_reference).max()
    print(f"MobileStyleGAN Keras vs OpenVINO, max abs difference on the [-1, 1] image: {difference:.2e}")
    assert difference <= 2e-3


def _faces(batch, seed):
    return np.random.default_rng(seed).uniform(0, 255, (batch, 112, 112, 3)).astype(np.float32)


def test_mobilefacenet192_matches_tflite_at_any_batch(extractor192, raw_model):
    interpreter = tf.lite.Interpreter(str(raw_model("mobilefacenet192_tflite")))
    interpreter.allocate_tensors()
    faces = _faces(4, 1)
    reference = []
    for pair in (faces[:2], faces[2:]):  # the file's batch is fixed at 2
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], (pair - 127.5) / 128)
        interpreter.invoke()
        reference.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
    reference = np.concatenate(reference)
    for batch in (1, 3, 4):
        similarity = cosine(extractor192(faces[:batch]).numpy(), reference[:batch])
        print(f"MobileFaceNet-192 Keras vs TFLite, batch {batch}: min cosine {similarity.min():.7f}")
        assert similarity.min() >= 0.9999


def test_mobilefacenet512_matches_onnxruntime(extractor512, raw_model):
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(str(raw_model("mobilefacenet512_onnx")),
                                           providers=["CPUExecutionProvider"])
    faces = _faces(3, 2)
    reference = np.concatenate([session.run(None, {"input": ((face[None] - 127.0) / 128).transpose(0, 3, 1, 2)})[0]
                                for face in faces])
    similarity = cosine(extractor512(faces).numpy(), reference)
    print(f"MobileFaceNet-512 Keras vs onnxruntime: min cosine {similarity.min():.7f}")
    assert similarity.min() >= 0.9999


def test_extractors_accept_uint8_and_signed_images_alike(extractor192):
    faces = np.random.default_rng(3).integers(0, 256, (2, 112, 112, 3)).astype(np.uint8)
    signed = faces.astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(extractor192(faces).numpy(), extractor192(signed, "signed").numpy(), atol=1e-3)
