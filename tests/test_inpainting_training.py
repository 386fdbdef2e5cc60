"""A tiny training run of the patent's network lowers its loss, resumes, and saves a loadable generator."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.inpainting import parsing, trainer

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _faces(count=6, size=64):
    """Smooth colour fields with a two-region parsing: easy to fill, so a few steps must show learning."""
    rng = np.random.default_rng(0)
    grid = np.linspace(0, 1, size)
    images, labels = [], []
    for _ in range(count):
        base = rng.uniform(60, 200, 3)
        slope = rng.uniform(-40, 40, 3)
        row = np.clip(base + slope * grid[:, None], 0, 255).astype(np.uint8)   # [size, 3]: a horizontal ramp
        images.append(np.broadcast_to(row[None], (size, size, 3)).copy())
        label = np.full((size, size), parsing.INDEX["background"], np.uint8)
        label[size // 4:3 * size // 4, size // 4:3 * size // 4] = parsing.INDEX["skin"]
        labels.append(label)
    return {"image": np.stack(images), "labels": np.stack(labels)}


def test_tiny_training_lowers_the_loss_resumes_and_saves(tmp_path, extractor192, generator):
    features = trainer.FaceFeatures(extractor192, generator.landmarks)
    # No jitter: these colour fields are easy to fill only while they stay smooth ramps (augment has its own tests).
    settings = trainer.TrainSettings(size=64, width=0.0625, batch_size=2, steps=40, learning_rate=2e-3,
                                     checkpoint_every=20, augment=False)
    data = _faces()
    first = trainer.train(data, tmp_path, dataclasses_replace(settings, steps=20), features, progress=False)
    assert first["steps"] == 20
    second = trainer.train(data, tmp_path, settings, features, progress=False)
    assert second["steps"] == 40 and second["steps_this_run"] == 20   # resumed, not restarted
    assert second["timed_steps"] == 40   # the budget adds up over resumed runs
    assert second["timed_seconds"] == pytest.approx(first["seconds_this_run"] + second["seconds_this_run"])
    logged = trainer.read_losses(tmp_path)
    assert list(logged["step"]) == list(range(1, 41))
    assert {"reconstruction", "perceptual", "style", "adversarial", "generator", "discriminator"} <= set(logged)
    l1 = logged["reconstruction"]
    assert l1[-10:].mean() < 0.7 * l1[:10].mean()
    loaded, loaded_settings = trainer.load_generator(tmp_path)
    assert loaded_settings == settings and loaded.output_shape == (None, 64, 64, 3)
    with pytest.raises(Exception, match="python -m tf_reconstruct.train_inpainting"):
        trainer.load_generator(tmp_path / "nothing")
    # The study's training table reads the budget and the last steps' losses back.
    from tf_reconstruct.studies import inpainting_eval
    inpainting_eval.training_table({"patent_full": tmp_path}, tmp_path / "study", last=10)
    table = (tmp_path / "study" / "training.csv").read_text().splitlines()
    assert len(table) == 2 and table[1].startswith("patent_full,64,40,80,6,0,120.0,40,,40,")   # ...and all 40 steps timed
    assert (tmp_path / "study" / "training.png").is_file()


def _pooled_pixels(images):
    """Feature maps for the perceptual and style terms without a face network: this test is about when
    training stops, and the face network's steps would only slow it."""
    return [tf.nn.avg_pool2d(images, 4, 4, "VALID")]


def test_validation_stops_training_and_keeps_the_best_weights(tmp_path):
    """With a zero learning rate the validation never improves: training stops after `patience` validations
    past the first, and resuming does not train on."""
    features = _pooled_pixels
    settings = trainer.TrainSettings(size=64, width=0.0625, batch_size=2, steps=100, learning_rate=0.0,
                                     checkpoint_every=3, patience=2)
    held = trainer.validation_set(_faces(3), 64)
    assert held[0].shape == (3, 64, 64, 3) and held[1].shape == (3, 64, 64, 1)
    ratios = [float(hole.mean()) for hole in held[1]]
    assert 0 < ratios[0] < 0.2 <= ratios[1] < 0.4 <= ratios[2] < 0.6   # face i's hole in bin i mod 3
    summary = trainer.train(_faces(), tmp_path, settings, features, held, progress=False)
    assert summary["steps"] == 9 and summary["stopped_early"] and summary["best_step"] == 3
    assert summary["validations"] == 3
    assert (tmp_path / "generator.weights.h5").read_bytes() == (tmp_path / "best.weights.h5").read_bytes()
    again = trainer.train(_faces(), tmp_path, settings, features, held, progress=False)
    assert again["steps"] == 9 and again["steps_this_run"] == 0
    from tf_reconstruct.inpainting.training_report import write_training_report
    telea = trainer.telea_l1(held)
    assert 0.0 < telea < 1.0
    report = write_training_report(tmp_path, tmp_path / "report", telea, every=3)
    assert json.loads((report / "training.json").read_text())["telea_validation_hole_l1"] == telea
    assert (report / "curve.png").is_file()
    assert (report / "validation.csv").read_text().splitlines()[0] == "step,hole_l1"
    assert len((report / "losses.csv").read_text().splitlines()) == 4   # header and 3 bins of 3 steps


def test_batches_are_fixed_by_seed_and_step():
    settings = trainer.TrainSettings(size=64, batch_size=2)
    data = _faces()
    first, again = trainer.make_batch(data, 3, settings), trainer.make_batch(data, 3, settings)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert first[0].shape == (2, 64, 64, 3) and first[1].shape == (2, 64, 64, 1) and first[2].shape == (2, 64, 64, 11)
    assert not np.array_equal(trainer.make_batch(data, 4, settings)[1], first[1])


def dataclasses_replace(settings, **changes):
    import dataclasses
    return dataclasses.replace(settings, **changes)
