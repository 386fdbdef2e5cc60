"""A tiny training run of the patent's network lowers its loss, resumes, and saves a loadable generator."""

import numpy as np
import pytest

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
    settings = trainer.TrainSettings(size=64, width=0.0625, batch_size=2, steps=40, learning_rate=2e-3,
                                     checkpoint_every=20)
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
    assert len(table) == 2 and table[1].startswith("patent_full,64,40,80,6,40,")   # ...and all 40 steps timed
    assert (tmp_path / "study" / "training.png").is_file()


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
