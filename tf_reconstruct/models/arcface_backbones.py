"""ArcFace extractors with Inception / Xception backbones (the paper's f), for users who hold weights.

    faces [B, 112, 112, 3] RGB in [0, 255] -> embeddings [B, 512], not normalised

Backbone: keras.applications without ImageNet weights (none can be downloaded here). Head: the
standard ArcFace embedding head BN -> Dropout -> Flatten -> Dense(512) -> BN. No pretrained weights
for these exist on any registry, so they load only from a path the user gives.
"""

import pathlib

import tensorflow as tf

from tf_reconstruct.errors import CheckpointFormatError, UserWeightsRequiredError
from tf_reconstruct.models.mobilefacenet import PixelPreprocess

keras = tf.keras

BACKBONES = {
    "inception_v3": keras.applications.InceptionV3,
    "inception_resnet_v2": keras.applications.InceptionResNetV2,
    "xception": keras.applications.Xception,
}


def build_arcface(backbone, embedding_dim=512, dropout=0.4, name=None):
    """Builds an ArcFace extractor with a keras.applications backbone (random init)."""
    if backbone not in BACKBONES:
        raise ValueError(f"unknown ArcFace backbone {backbone!r}; choose one of {sorted(BACKBONES)}")
    faces = keras.Input(shape=(112, 112, 3), name="faces")
    x = PixelPreprocess(127.5, 1 / 128, name="preprocess")(faces)
    features = BACKBONES[backbone](include_top=False, weights=None, input_shape=(112, 112, 3))(x)
    x = keras.layers.BatchNormalization(name="head_bn_features")(features)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Flatten(name="head_flatten")(x)
    x = keras.layers.Dense(embedding_dim, name="head_dense")(x)
    embeddings = keras.layers.BatchNormalization(name="embeddings", dtype="float32")(x)
    return keras.Model(faces, embeddings, name=name or f"arcface_{backbone}")


def load_arcface(backbone, weights_path, embedding_dim=512):
    """Builds the extractor and loads user weights: a Keras .h5 weights file, or a SavedModel / .keras model.

    Raises UserWeightsRequiredError when `weights_path` is None or missing.
    """
    what = f"ArcFace-{backbone} weights"
    if weights_path is None or not pathlib.Path(weights_path).exists():
        raise UserWeightsRequiredError(
            f"{what} are not available from any package registry, so they must be supplied: pass "
            f"--extractor_weights=/path/to/arcface_{backbone}.h5 (Keras weights of the model built by "
            f"tf_reconstruct.models.arcface_backbones.build_arcface('{backbone}')) or a SavedModel/.keras "
            f"file mapping [B,112,112,3] RGB 0-255 faces to [B,{embedding_dim}] embeddings."
            + (f" Nothing exists at {weights_path}." if weights_path else ""))
    path = pathlib.Path(weights_path)
    if path.is_dir() or path.suffix == ".keras":
        model = keras.models.load_model(path, compile=False)
        if tuple(model.input_shape[1:]) != (112, 112, 3) or model.output_shape[-1] != embedding_dim:
            raise CheckpointFormatError(f"{path}: model maps {model.input_shape} -> {model.output_shape}, expected "
                                        f"(None, 112, 112, 3) -> (None, {embedding_dim})")
        return model
    model = build_arcface(backbone, embedding_dim)
    try:
        model.load_weights(str(path))
    except (ValueError, OSError) as error:
        raise CheckpointFormatError(f"{path} does not fit ArcFace-{backbone} with a {embedding_dim}-d head: "
                                    f"{error}") from error
    return model
