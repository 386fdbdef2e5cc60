"""Shared fixtures. Tests marked `models` need `python -m tf_reconstruct.checkpoints fetch` to have run;
they are skipped without it, unless TF_RECONSTRUCT_REQUIRE_MODELS=1 (set by `make test` and CI), where
a missing model is a failure."""

import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.models import registry

# Every test computes with 2 TensorFlow threads, whatever the machine: a face's last bits depend on the thread
# count, and the Ray tests compare this process's faces with those of workers of 1 and 2 threads.
TEST_THREADS = 2
tf.config.threading.set_intra_op_parallelism_threads(TEST_THREADS)

SHARED_DATA = pathlib.Path(os.environ.get("TF_RECONSTRUCT_SHARED_DATA",
                                          pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def require_shared_data(relative):
    """Path of a file under ../shared/data; skipped without it, a failure under CI (where it must exist)."""
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"{path} not present (set TF_RECONSTRUCT_SHARED_DATA to the shared data folder)"
        if os.environ.get("CI") == "true" or os.environ.get("TF_RECONSTRUCT_REQUIRE_MODELS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _require_models():
    if not registry.converted_path("mobilestylegan_synthesis.npz").is_file():
        if os.environ.get("TF_RECONSTRUCT_REQUIRE_MODELS") == "1":
            pytest.fail("converted models missing: run `python -m tf_reconstruct.checkpoints fetch`")
        pytest.skip("converted models missing: run `python -m tf_reconstruct.checkpoints fetch`")


@pytest.fixture(scope="session")
def generator():
    _require_models()
    return registry.get_generator("mobilestylegan")


@pytest.fixture(scope="session")
def extractor192():
    _require_models()
    return registry.get_extractor("mobilefacenet192")


@pytest.fixture(scope="session")
def extractor512():
    _require_models()
    return registry.get_extractor("mobilefacenet512")


@pytest.fixture(scope="session")
def raw_model():
    """Path of an extracted original model file, by name."""
    _require_models()
    from tf_reconstruct.checkpoints import fetch
    return lambda name: fetch.require_raw(name)


def cosine(a, b):
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return (a * b).sum(-1)


@pytest.fixture(scope="session")
def tiny_bank(tmp_path_factory, generator, extractor192):
    """A baselines folder holding a latent bank of 4 unmixed generated pairs and a Mapping (w) trained on them
    for one epoch (a fresh clone has neither)."""
    from tf_reconstruct.baselines import template_to_latent, training_pairs
    folder = tmp_path_factory.mktemp("baselines")
    training_pairs.build_store(generator, extractor192, folder / "pairs", 4,
                               training_pairs.PairSettings(shard_size=4, mixing_fraction=0.0), batch_size=4)
    pairs = training_pairs.load_store(folder / "pairs", ("template", "w", "w_mix", "crossover"), extractor192.name)
    template_to_latent.train_mapping(pairs, "w", extractor192.name, generator.num_ws, folder, epochs=1, batch_size=4)
    return folder


def pytest_collection_modifyitems(config, items):
    """Files with slow tests first: the workers of `make test` (pytest-xdist, a file at a time) take files in this
    order, so no long file starts when the other workers are nearly done."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
