"""The faceplugin attribute classifiers: an RGB image -> {attribute: value}, with the face found by MTCNN.

    classifier = load("pose")                    # a name of CLASSIFIERS
    classifier.score(image, box) -> {"yaw": degrees, "pitch": ..., "roll": ...}
    describe(image, classifiers, name) -> {attribute: value} of all of them, from one detection

| classifier | model | attributes (ATTRIBUTES) | preprocessing |
|---|---|---|---|
| gender | fr_gender.onnx (SSR-Net) | gender: P(male) in [0, 1] | ssr_net.py |
| age | fr_age.onnx (SSR-Net) | age: years | ssr_net.py |
| pose | fr_pose.onnx (Hopenet) | yaw, pitch, roll: degrees, 0 frontal | hopenet.py |
| expression | fr_expression.onnx | smile: P(happy); neutral: P(neutral) | expression_net.py |
| eyes | fr_eye.onnx + fr_landmark.onnx | eyes_open: P(open), mean of both eyes | eye_state.py, landmarks68.py |

They run on onnxruntime, the models' own runtime. As judges of reconstructions (gender, age) they never
enter a gradient, a loss or a choice among an attack's candidates (tests/test_judges_isolated.py); the
editing tools use them to label generated faces. The face box is MTCNN's subject box, as for alignment
and liveness, in place of the package's own fr_detect box. Which end of each output means what was
established on real LFW photos (BUILD_NOTES.md, Resemblance judges and Attribute labels).
"""

import dataclasses

import cv2
import numpy as np

from tf_reconstruct.align import photo_align
from tf_reconstruct.attributes import expression_net, eye_state, hopenet, landmarks68, ssr_net
from tf_reconstruct.checkpoints.fetch import require_raw
from tf_reconstruct.errors import InputError

# classifier name -> (its models, the attributes it gives)
CLASSIFIERS = {
    "gender": (("fr_gender_onnx",), ("gender",)),
    "age": (("fr_age_onnx",), ("age",)),
    "pose": (("fr_pose_onnx",), ("yaw", "pitch", "roll")),
    "expression": (("fr_expression_onnx",), ("smile", "neutral")),
    "eyes": (("fr_eye_onnx", "fr_landmark_onnx"), ("eyes_open",)),
}
ATTRIBUTES = {attribute: name for name, (_, attributes) in CLASSIFIERS.items() for attribute in attributes}


def _crop(image, crop_box, size, grey=False):
    x, y, width, height = crop_box
    if width < 2 or height < 2:
        raise ValueError(f"crop {crop_box} of a {image.shape[1]}x{image.shape[0]} image is empty")
    region = image[y:y + height, x:x + width]
    if grey:
        region = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY)
    return cv2.resize(region, (size, size), interpolation=cv2.INTER_LINEAR)


@dataclasses.dataclass
class Classifier:
    name: str
    sessions: tuple   # onnxruntime sessions, in the order of CLASSIFIERS[name][0]

    @property
    def attributes(self):
        return CLASSIFIERS[self.name][1]

    def score(self, image, box):
        """RGB uint8 image [H, W, 3] and the face box [x, y, w, h] -> {attribute: value}."""
        height, width = image.shape[:2]
        session = self.sessions[0]
        if self.name in ("gender", "age"):
            crop = _crop(image, ssr_net.crop_box(box, width, height), ssr_net.INPUT_SIZE)
            outputs = session.run(list(ssr_net.OUTPUTS), {"input": ssr_net.normalise(crop)})
            value_range = ssr_net.GENDER_RANGE if self.name == "gender" else ssr_net.AGE_RANGE
            return {self.name: ssr_net.merge(dict(zip(ssr_net.OUTPUTS, outputs)), value_range)}
        if self.name == "pose":
            crop = _crop(image, hopenet.crop_box(box, width, height), hopenet.INPUT_SIZE)
            outputs = session.run(list(hopenet.OUTPUTS.values()), {"input": hopenet.normalise(crop)})
            return {angle: hopenet.decode(logits) for angle, logits in zip(hopenet.OUTPUTS, outputs)}
        if self.name == "expression":
            crop = _crop(image, expression_net.crop_box(box, width, height), expression_net.INPUT_SIZE)
            probabilities = expression_net.probabilities(session.run(None, {"input": expression_net.normalise(crop)})[0])
            return {"smile": probabilities["happy"], "neutral": probabilities["neutral"]}
        return {"eyes_open": self._eyes_open(image, box)}

    def _eyes_open(self, image, box):
        eye_session, landmark_session = self.sessions
        height, width = image.shape[:2]
        crop = _crop(image, landmarks68.crop_box(box, width, height), landmarks68.INPUT_SIZE, grey=True)
        points = landmarks68.decode(landmark_session.run(None, {"input": landmarks68.normalise(crop)})[0], box)
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        opens = []
        for x, y, side, _ in eye_state.eye_boxes(points, width, height):
            if side < 2:
                raise ValueError(f"eye box {[x, y, side]} from landmarks of face box {box} is empty")
            patch = cv2.resize(grey[y:y + side, x:x + side], (eye_state.INPUT_SIZE,) * 2, interpolation=cv2.INTER_LINEAR)
            logits = eye_session.run(None, {"input": eye_state.normalise(patch)})[0]
            opens.append(hopenet.softmax(logits)[eye_state.OPEN_INDEX])
        return float(np.mean(opens))

    def __call__(self, image, name="image", box=None):
        """RGB image -> {attribute: value}. Raises NoFaceFoundError naming `name` when MTCNN finds no face."""
        image = photo_align.as_rgb_uint8(image, name)
        if box is None:
            box = photo_align.detect_subject(image, name)["box"]
        return self.score(image, box)


def _session(model_name, checkpoint_root):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3   # the exports list their weights as graph inputs, which onnxruntime warns about
    return onnxruntime.InferenceSession(str(require_raw(model_name, checkpoint_root)), options,
                                        providers=["CPUExecutionProvider"])


def load(name, checkpoint_root=None):
    """The classifier `name` (one of CLASSIFIERS) on onnxruntime."""
    if name not in CLASSIFIERS:
        raise InputError(f"unknown attribute classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    return Classifier(name, tuple(_session(model, checkpoint_root) for model in CLASSIFIERS[name][0]))


def load_for(attributes, checkpoint_root=None):
    """The classifiers that give `attributes` (names of ATTRIBUTES), each loaded once."""
    unknown = [attribute for attribute in attributes if attribute not in ATTRIBUTES]
    if unknown:
        raise InputError(f"unknown attribute(s) {', '.join(unknown)}; choose from {', '.join(ATTRIBUTES)}")
    names = dict.fromkeys(ATTRIBUTES[attribute] for attribute in attributes)
    return [load(name, checkpoint_root) for name in names]


def describe(image, classifiers, name="image", box=None):
    """{attribute: value} of every classifier on one image, from one MTCNN detection (or `box`)."""
    image = photo_align.as_rgb_uint8(image, name)
    if box is None:
        box = photo_align.detect_subject(image, name)["box"]
    values = {}
    for classifier in classifiers:
        values.update(classifier.score(image, box))
    return values
