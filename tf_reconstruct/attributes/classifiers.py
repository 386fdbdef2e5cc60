"""The attribute classifiers as judges: an RGB image -> {attribute: value}, with the face found by MTCNN.

    classifier = load("gender")          # or "age"
    classifier(image, name) -> float     # gender: P(male) in [0, 1]; age: years
    describe(image, classifiers, name) -> {"gender": ..., "age": ...}

They run on onnxruntime, the models' own runtime: they judge finished faces and are never part of a
gradient, a loss or a choice among an attack's candidates (tests/test_judges_isolated.py). The face box
is MTCNN's subject box, as for alignment and liveness; the crop and the merge of SSR-Net's outputs are in
ssr_net.py. Which end of the gender output is male was established on real LFW photos (BUILD_NOTES.md).
"""

import dataclasses

import cv2

from tf_reconstruct.align import photo_align
from tf_reconstruct.attributes import ssr_net
from tf_reconstruct.checkpoints.fetch import require_raw

MODELS = {"gender": ("fr_gender_onnx", ssr_net.GENDER_RANGE), "age": ("fr_age_onnx", ssr_net.AGE_RANGE)}


@dataclasses.dataclass
class AttributeClassifier:
    name: str
    session: object
    value_range: float

    def score_crop(self, crop):
        """An RGB uint8 64x64 crop -> the attribute's value."""
        outputs = self.session.run(list(ssr_net.OUTPUTS), {"input": ssr_net.normalise(crop)})
        return ssr_net.merge(dict(zip(ssr_net.OUTPUTS, outputs)), self.value_range)

    def __call__(self, image, name="image", box=None):
        """RGB image [H, W, 3] -> value. Raises NoFaceFoundError naming `name` when MTCNN finds no face."""
        return self.score_crop(face_crop(image, name, box))


def face_crop(image, name="image", box=None):
    """SSR-Net's 64x64 crop of the subject's face (MTCNN's box unless `box` [x, y, w, h] is given)."""
    image = photo_align.as_rgb_uint8(image, name)
    if box is None:
        box = photo_align.detect_subject(image, name)["box"]
    x, y, width, height = ssr_net.crop_box(box, image.shape[1], image.shape[0])
    if width < 2 or height < 2:
        raise ValueError(f"{name}: face box {box} gives an empty crop")
    size = ssr_net.INPUT_SIZE
    return cv2.resize(image[y:y + height, x:x + width], (size, size), interpolation=cv2.INTER_LINEAR)


def load(attribute, checkpoint_root=None):
    """The classifier of `attribute` ('gender' or 'age') on onnxruntime."""
    if attribute not in MODELS:
        raise ValueError(f"unknown attribute {attribute!r}; choose from {', '.join(MODELS)}")
    import onnxruntime
    model_name, value_range = MODELS[attribute]
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3   # the exports list their weights as graph inputs, which onnxruntime warns about
    session = onnxruntime.InferenceSession(str(require_raw(model_name, checkpoint_root)), options,
                                           providers=["CPUExecutionProvider"])
    return AttributeClassifier(attribute, session, value_range)


def describe(image, classifiers, name="image"):
    """{attribute: value} of every classifier on one image, from one MTCNN detection."""
    image = photo_align.as_rgb_uint8(image, name)
    box = photo_align.detect_subject(image, name)["box"]
    crop = face_crop(image, name, box)
    return {classifier.name: classifier.score_crop(crop) for classifier in classifiers}
