"""Generators and extractors by name: `get_generator('mobilestylegan')`, `get_extractor('mobilefacenet192')`.

Models load from the converted cache under checkpoints/ (made by `python -m tf_reconstruct.checkpoints
fetch`); library code never downloads.
"""

import dataclasses
import json
import pathlib

import numpy as np
import tensorflow as tf

from tf_reconstruct.converters import weight_table
from tf_reconstruct.errors import InputError
from tf_reconstruct.models import arcface_backbones, mapping_network, mobile_stylegan, mobilefacenet
from tf_reconstruct.models.precision import policy_scope
from tf_reconstruct.paths import checkpoint_dir, require_file


def converted_path(filename, root=None):
    return checkpoint_dir(root) / "converted" / filename


@dataclasses.dataclass
class Extractor:
    """A face feature extractor f and how to feed it.

    `model`: faces [B, 112, 112, 3] RGB ArcFace-aligned, float in [0, 255] -> [B, embedding_dim].
    """
    name: str
    model: tf.keras.Model
    embedding_dim: int
    description: str
    build_model: object = None
    similarity: str = "cosine"   # how a system compares two of its embeddings (metrics/verification.py)
    differentiable: bool = True  # False: it can evaluate but not attack
    _precision_cache: dict = dataclasses.field(default_factory=dict)

    def at_precision(self, precision):
        """This extractor computing in `precision` (models/precision.py), sharing the weights' values."""
        if precision == "float32":
            return self
        if precision not in self._precision_cache:
            if self.build_model is None:
                raise ValueError(f"extractor {self.name} cannot be rebuilt in {precision}")
            with tf.init_scope(), policy_scope(precision):
                model = self.build_model()
                model.set_weights(self.model.get_weights())
            self._precision_cache[precision] = dataclasses.replace(self, model=model, _precision_cache={})
        return self._precision_cache[precision]

    def __call__(self, faces, value_range="uint8"):
        """Embeds aligned faces given as uint8/[0, 255] (`value_range='uint8'`) or [-1, 1] ('signed')."""
        faces = tf.cast(faces, tf.float32)
        if value_range == "signed":
            faces = (faces + 1.0) * 127.5
        elif value_range != "uint8":
            raise ValueError(f"value_range must be 'uint8' or 'signed', not {value_range!r}")
        return tf.cast(self.model(faces, training=False), tf.float32)


@dataclasses.dataclass
class Generator:
    """A pretrained generator g: its mapping network, synthesis at any supported resolution, and statistics.

    Attributes:
      num_ws: rows of w+ (23 for MobileStyleGAN, 18 for StyleGAN2 at 1024).
      resolution: full output side in pixels.
      w_avg: [512] mean of mapping(z) over 100,000 z (the paper's initialisation).
      landmarks: [5, 2] mean five-point positions on generated faces, as fractions of the image side.
    """
    name: str
    mapping: tf.keras.Model
    num_ws: int
    resolution: int
    w_avg: np.ndarray
    landmarks: np.ndarray
    build_synthesis: object
    _synthesis_cache: dict = dataclasses.field(default_factory=dict)

    def synthesis(self, resolution=None, precision="float32"):
        """The synthesis model w_plus [B, num_ws, 512] -> image [B, R, R, 3] in [-1, 1] for R = `resolution`.

        `precision` (models/precision.py) is what the layers compute in; the image is float32 either way.
        """
        key = (resolution or self.resolution, precision)
        if key not in self._synthesis_cache:
            # Build and load eagerly even when first asked for inside a tf.function trace: there the
            # weight assignments would become graph ops that run after the reads.
            with tf.init_scope(), policy_scope(precision):
                self._synthesis_cache[key] = self.build_synthesis(key[0])
        return self._synthesis_cache[key]

    def mean_w_plus(self, batch=1):
        """[batch, num_ws, 512] float32: w_avg in every row."""
        return np.tile(self.w_avg[None, None].astype(np.float32), [batch, self.num_ws, 1])


def _load_mobilestylegan(root=None, weights=None):
    if weights is not None:
        raise InputError("mobilestylegan loads from the fetched cache; generator weights are for 'stylegan2'")
    mapping = mapping_network.build_mapping_network()
    weight_table.load_npz(mapping, require_file(converted_path("mobilestylegan_mapping.npz", root),
                                                "converted MobileStyleGAN mapping weights"))
    synthesis_file = require_file(converted_path("mobilestylegan_synthesis.npz", root),
                                  "converted MobileStyleGAN synthesis weights")
    heads_file = require_file(converted_path("mobilestylegan_heads.npz", root), "fitted early-exit heads")

    def build(resolution):
        model = mobile_stylegan.build_mobile_synthesis(resolution)
        if resolution == mobile_stylegan.MAX_RESOLUTION:
            weight_table.load_npz(model, synthesis_file)
        else:
            with np.load(synthesis_file) as synthesis, np.load(heads_file) as heads:
                table = {**{k: synthesis[k] for k in synthesis.files}, **{k: heads[k] for k in heads.files}}
            weight_table.assign(model, table, source=f"{synthesis_file} + {heads_file}", allow_unused=True)
        return model

    w_avg = np.load(require_file(converted_path("mobilestylegan_w_avg.npy", root), "w_avg of MobileStyleGAN"))
    landmarks_file = require_file(converted_path("mobilestylegan_landmarks.json", root),
                                  "generator landmark positions")
    landmarks = np.array(json.loads(landmarks_file.read_text())["mean_fraction"])
    return Generator("mobilestylegan", mapping, mobile_stylegan.NUM_WS, mobile_stylegan.MAX_RESOLUTION,
                     w_avg, landmarks, build)


def _load_stylegan2(root=None, weights=None):
    """StyleGAN2 ffhq-config-f from user weights (no registry carries them).

    w_avg is computed on load from 100,000 z, as for MobileStyleGAN. The landmark positions are
    MobileStyleGAN's: the student was distilled to reproduce the teacher's images, so both share the
    FFHQ alignment frame.
    """
    from tf_reconstruct.models.mean_latent import compute_w_avg
    from tf_reconstruct.converters import stylegan2_weights
    from tf_reconstruct.models import stylegan2
    mapping_table, synthesis_table = stylegan2_weights.stylegan2_tables(stylegan2_weights.read_weight_dict(weights))
    mapping = mapping_network.build_mapping_network()
    weight_table.assign(mapping, mapping_table, source=f"StyleGAN2 mapping from {weights}")

    def build(resolution):
        # Below 1024 the skip architecture's RGB at that resolution is the image: later layers are unused.
        model = stylegan2.build_stylegan2_synthesis(resolution, stylegan2.config_f_channels(resolution))
        weight_table.assign(model, synthesis_table, source=f"StyleGAN2 synthesis from {weights}",
                            allow_unused=resolution != 1024)
        return model if resolution == 1024 else _LeadingRows(model)

    landmarks_file = require_file(converted_path("mobilestylegan_landmarks.json", root),
                                  "generator landmark positions")
    landmarks = np.array(json.loads(landmarks_file.read_text())["mean_fraction"])
    return Generator("stylegan2", mapping, 18, 1024, compute_w_avg(mapping), landmarks, build)


class _LeadingRows:
    """Lets a truncated StyleGAN2, which reads only the first rows of w+, take the full [B, 18, 512] w+."""

    def __init__(self, model):
        self.model, self.rows = model, model.input_shape[1]

    def __call__(self, w_plus, training=False):
        return self.model(w_plus[:, :self.rows], training=training)


GENERATORS = {"mobilestylegan": _load_mobilestylegan, "stylegan2": _load_stylegan2}


def get_generator(name="mobilestylegan", checkpoint_root=None, weights=None):
    """A Generator by name; `weights` is the path of user weights (required for 'stylegan2')."""
    if name not in GENERATORS:
        raise InputError(f"unknown generator {name!r}; choose one of {sorted(GENERATORS)}")
    return GENERATORS[name](checkpoint_root, weights)


def _mobilefacenet_loader(variant, description):
    def load(weights=None, root=None):
        model = mobilefacenet.build_mobilefacenet(variant)
        path = weights or require_file(converted_path(f"{variant}.npz", root), f"converted {variant} weights")
        weight_table.load_npz(model, path)
        return Extractor(variant, model, mobilefacenet.CONFIGS[variant].embedding_dim, description,
                         build_model=lambda: mobilefacenet.build_mobilefacenet(variant))
    return load


def _arcface_loader(backbone):
    def load(weights=None, root=None):
        model = arcface_backbones.load_arcface(backbone, weights)
        dim = model.output_shape[-1]
        # A whole saved model (a SavedModel folder or .keras) cannot be rebuilt in another precision; weights can.
        whole_model = pathlib.Path(weights).is_dir() or pathlib.Path(weights).suffix == ".keras"
        rebuild = None if whole_model else (lambda: arcface_backbones.build_arcface(backbone, dim))
        return Extractor(f"arcface_{backbone}", model, dim, f"ArcFace {backbone} (user weights from {weights})",
                         build_model=rebuild)
    return load


def _load_dlib(weights=None, root=None):
    if weights is not None:
        raise InputError("dlib_resnet128 loads the fetched face_recognition_models files; it takes no weights path")
    from tf_reconstruct.checkpoints.fetch import require_raw
    from tf_reconstruct.models import dlib_resnet
    return dlib_resnet.load(require_raw("dlib_resnet128_dat", root), require_raw("dlib_landmarks5_dat", root))


EXTRACTORS = {
    "mobilefacenet192": _mobilefacenet_loader("mobilefacenet192", "MobileFaceNet, ArcFace loss, 192-d (sirius-ai)"),
    "mobilefacenet512": _mobilefacenet_loader("mobilefacenet512", "MobileFaceNet 512-d (faceplugin export)"),
    "arcface_inception_v3": _arcface_loader("inception_v3"),
    "arcface_inception_resnet_v2": _arcface_loader("inception_resnet_v2"),
    "arcface_xception": _arcface_loader("xception"),
    "dlib_resnet128": _load_dlib,
}


def get_extractor(name, weights=None, checkpoint_root=None):
    """An Extractor by name; `weights` is a path (required for the ArcFace Inception/Xception models)."""
    if name not in EXTRACTORS:
        raise InputError(f"unknown extractor {name!r}; choose one of {sorted(EXTRACTORS)}")
    return EXTRACTORS[name](weights, checkpoint_root)


def get_attack_extractor(name, weights=None, checkpoint_root=None):
    """get_extractor, refusing at once an extractor without gradients (the attack differentiates through it)."""
    extractor = get_extractor(name, weights, checkpoint_root)
    if not extractor.differentiable:
        raise InputError(f"{name} has no gradients (it runs outside TensorFlow): it can evaluate (--eval_models), or "
                         f"be attacked as a black box (main --methods=bb_..., reconstruct --attack=blackbox); to "
                         f"attack with gradients choose a MobileFaceNet or ArcFace extractor")
    return extractor
