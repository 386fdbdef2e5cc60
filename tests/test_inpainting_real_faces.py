"""Real training photos stay out of the test set, and validation identities stay out of training."""

import numpy as np
import pytest

from tf_reconstruct.inpainting import real_faces, trainer
from tf_reconstruct.inpainting.training_report import binned_means


def _identities(count=40):
    return {f"person_{i:02d}": [f"person_{i:02d}_{n:04d}" for n in range(1, 1 + i % 4 + 1)] for i in range(count)}


def test_split_keeps_test_and_validation_identities_out_of_training():
    people = _identities()
    excluded = real_faces.test_identities(people, 5, seed=0)
    training, validation = real_faces.split_photos(people, excluded, count=30, validation=6, seed=0, per_identity=2)
    identity = lambda photo: photo.rsplit("_", 1)[0]   # noqa: E731
    assert len(training) == 30 and len(validation) == 6 and len(set(training)) == 30
    assert not {identity(p) for p in training + validation} & set(excluded)
    assert not {identity(p) for p in training} & {identity(p) for p in validation}
    assert all(p.endswith(("_0001", "_0002")) for p in training)   # at most 2 per identity, the first ones
    assert len({identity(p) for p in validation}) == 6
    assert (training, validation) == real_faces.split_photos(people, excluded, 30, 6, seed=0, per_identity=2)
    with pytest.raises(ValueError, match="--real_faces"):
        real_faces.split_photos(people, excluded, count=500, validation=6, seed=0)


def test_batches_mix_real_and_generated_faces_by_the_asked_fraction():
    data = {"image": np.zeros((200, 8, 8, 3), np.uint8), "real": np.arange(200) < 50}
    rng = np.random.default_rng(0)
    for fraction, wanted in ((1.0, True), (0.0, False)):
        settings = trainer.TrainSettings(size=8, batch_size=4, real_fraction=fraction)
        for _ in range(5):
            assert (data["real"][trainer._draw_faces(data, rng, settings)] == wanted).all()
    settings = trainer.TrainSettings(size=8, batch_size=2, real_fraction=0.75)
    drawn = np.concatenate([trainer._draw_faces(data, rng, settings) for _ in range(2000)])
    assert data["real"][drawn].mean() == pytest.approx(0.75, abs=0.03)


def test_binned_means_by_hand():
    logged = {"step": np.arange(1, 8, dtype=float), "loss": np.array([1, 3, 5, 7, 9, 11, 100], float)}
    means = binned_means(logged, 3)
    np.testing.assert_allclose(means["step"], [3, 6])
    np.testing.assert_allclose(means["loss"], [3, 9])


@pytest.mark.models
def test_real_store_frames_parses_and_resumes(tmp_path, generator):
    from conftest import require_shared_data
    from tf_reconstruct.datasets import lfw
    from tf_reconstruct.inpainting import parsing, training_data
    dataset = lfw.load_lfw(require_shared_data("lfw"))
    photos = ["Aaron_Eckhart_0001", "Aaron_Guiel_0001", "Aaron_Patterson_0001"]
    store = tmp_path / "real"
    parser = parsing.Parser.load()
    assert real_faces.build_real_store(dataset, photos, generator, parser, store, size=64, shard_size=2) == 3
    held = training_data.load_store(store)
    assert held["image"].shape == (3, 64, 64, 3) and held["labels"].shape == (3, 64, 64)
    assert held["image"].dtype == np.uint8 and set(np.unique(held["labels"])) >= {parsing.INDEX["skin"]}
    shard = store / training_data.SHARD_PATTERN.format(0)
    stamp = shard.stat().st_mtime_ns
    real_faces.build_real_store(dataset, photos, generator, parser, store, size=64, shard_size=2)
    assert shard.stat().st_mtime_ns == stamp   # resumed: a finished shard is not made again
    with pytest.raises(training_data.TrainingDataError, match="other settings"):
        real_faces.build_real_store(dataset, photos[:2], generator, parser, store, size=64, shard_size=2)
