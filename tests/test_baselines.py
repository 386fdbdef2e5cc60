"""Baselines: the pair store, the Mapping (w, w+) and NbNet: shapes, tiny training runs that lower the loss,
resume, save/load and the errors for missing, corrupt or mismatched models; the warm start's inversion."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tf_reconstruct.baselines import nbnet, template_to_latent, training_pairs
from tf_reconstruct.errors import CheckpointFormatError, MissingCheckpointError


def test_mix_w_plus_takes_rows_before_the_crossover_from_w():
    w, w_mix = np.zeros((2, 512)), np.ones((2, 512))
    mixed = training_pairs.mix_w_plus(w, w_mix, np.array([2, 4]), num_ws=4)
    assert mixed.shape == (2, 4, 512)
    np.testing.assert_array_equal(mixed[0, :, 0], [0, 0, 1, 1])
    np.testing.assert_array_equal(mixed[1, :, 0], [0, 0, 0, 0])   # crossover = num_ws: unmixed


def test_centre_crop_is_the_arcface_face_of_the_wider_frame():
    faces = np.zeros((1, 160, 160, 3))
    faces[:, 24:136, 24:136] = 1
    crop = training_pairs.centre_crop(faces, 24)
    assert crop.shape == (1, 112, 112, 3) and crop.min() == 1


def _linear_pairs(count=600, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    templates = rng.standard_normal((count, dim)).astype(np.float32)
    unit = templates / np.linalg.norm(templates, axis=1, keepdims=True)
    w = (unit @ rng.standard_normal((dim, 512))).astype(np.float32)
    return {"template": templates, "w": w, "w_mix": w[::-1].copy(), "crossover": np.full(count, 3, np.int32)}


def test_mapping_shapes():
    assert template_to_latent.build_mlp(192, 23).output_shape == (None, 23, 512)
    model = template_to_latent.MappingModel("w", "x", 8, 23, np.zeros((1, 512)), np.ones((1, 512)))
    assert model.predict(np.ones((3, 8))).shape == (3, 23, 512)
    with pytest.raises(ValueError, match=r"\[N, 8\] templates"):
        model.predict(np.ones((3, 9)))


def test_mapping_learns_a_linear_task_resumes_and_round_trips(tmp_path):
    tf.keras.utils.set_random_seed(0)
    pairs = _linear_pairs()
    model = template_to_latent.train_mapping(pairs, "w", "x", 3, tmp_path, epochs=3, batch_size=64)
    validation = [epoch["validation"] for epoch in model.log["epochs"]]
    assert validation[-1] < 0.5 * validation[0]
    assert model.log["best_validation"] == min(validation)
    # The same call with more epochs continues from the saved one.
    more = template_to_latent.train_mapping(pairs, "w", "x", 3, tmp_path, epochs=4, batch_size=64)
    assert [epoch["epoch"] for epoch in more.log["epochs"]] == [1, 2, 3, 4] and more.log["epochs"][3]["resumed"]
    loaded = template_to_latent.load_mapping(tmp_path, "w", "x")
    np.testing.assert_allclose(loaded.predict(pairs["template"][:4]), more.predict(pairs["template"][:4]), atol=1e-5)
    # The w+ variant predicts every row (rows >= crossover come from w_mix).
    plus = template_to_latent.train_mapping(pairs, "wplus", "x", 4, tmp_path, epochs=1, batch_size=64)
    assert plus.predict(pairs["template"][:2]).shape == (2, 4, 512)


def test_mapping_errors_name_the_fix(tmp_path):
    with pytest.raises(MissingCheckpointError, match="train_baselines"):
        template_to_latent.load_mapping(tmp_path, "w")
    template_to_latent.train_mapping(_linear_pairs(100), "w", "mobilefacenet192", 3, tmp_path, epochs=1)
    with pytest.raises(CheckpointFormatError, match="not mobilefacenet512"):
        template_to_latent.load_mapping(tmp_path, "w", "mobilefacenet512")
    _, weights = template_to_latent.mapping_files(tmp_path, "w")
    weights.write_bytes(b"not an h5 file")
    with pytest.raises(CheckpointFormatError, match="corrupt"):
        template_to_latent.load_mapping(tmp_path, "w")


def test_nbnet_shapes_and_block_widths():
    model = nbnet.build_nbnet(192)
    faces = model(np.random.default_rng(0).standard_normal((2, 192)).astype(np.float32))
    assert faces.shape == (2, 160, 160, 3)
    assert float(tf.reduce_max(tf.abs(faces))) <= 1.0
    block = nbnet.NeighbourlyBlock(24)
    assert block(tf.zeros((1, 5, 5, 7))).shape == (1, 10, 10, 24)   # 12 up-sampled + 3 x 4 neighbourly maps
    with pytest.raises(ValueError, match="divisible by 6"):
        nbnet.NeighbourlyBlock(20)


def test_nbnet_errors_name_the_fix(tmp_path):
    with pytest.raises(MissingCheckpointError, match="train_baselines"):
        nbnet.load_nbnet(tmp_path)
    model = nbnet.build_nbnet(8)
    nbnet.save_nbnet(model, tmp_path, {"extractor": "mobilefacenet192", "embedding_dim": 8})
    with pytest.raises(CheckpointFormatError, match="not mobilefacenet512"):
        nbnet.load_nbnet(tmp_path, "mobilefacenet512")
    meta_file, _ = nbnet.nbnet_files(tmp_path)
    meta_file.write_text(json.dumps({"extractor": "mobilefacenet192", "embedding_dim": 9}))
    with pytest.raises(CheckpointFormatError, match="corrupt or does not fit"):
        nbnet.load_nbnet(tmp_path)


@pytest.mark.models
@pytest.mark.slow
def test_pair_store_nbnet_training_and_warm_start(tmp_path, monkeypatch, generator, extractor192):
    from tf_reconstruct.optimize import reconstruct as engine
    settings = training_pairs.PairSettings(resolution=32, shard_size=4, seed=3)
    store = tmp_path / "pairs"
    assert training_pairs.build_store(generator, extractor192, store, 8, settings, batch_size=4) == 8
    pairs = training_pairs.load_store(store, ("z", "w", "crossover", "template", "face"), "mobilefacenet192")
    assert pairs["face"].shape == (8, 160, 160, 3) and pairs["face"].dtype == np.uint8
    # The stored template is the extractor's embedding of the stored crop's centre.
    again = extractor192(training_pairs.centre_crop(pairs["face"], 24)).numpy()
    np.testing.assert_allclose(again, pairs["template"], atol=1e-4)
    # Resumable: a lost shard is made again, identically (each shard has its own seed).
    first = (store / "pairs-00001.npz").read_bytes()
    (store / "pairs-00001.npz").unlink()
    # A bank whose build was interrupted is refused, with the command that finishes it.
    from tf_reconstruct.optimize import warm_starts
    with pytest.raises(training_pairs.PairStoreError, match=r"incomplete: 1 of 2 shards.*--pairs=8 --train="):
        warm_starts.load_bank(store, "mobilefacenet192", generator.num_ws)
    training_pairs.build_store(generator, extractor192, store, 8, settings, batch_size=4)
    assert len(warm_starts.load_bank(store, "mobilefacenet192", generator.num_ws).latents) == 8 - np.sum(
        pairs["crossover"] < generator.num_ws)
    # Asked for more, the store is incomplete until the new shards are made.
    training_pairs.require_complete(store)
    (store / training_pairs.TARGET_FILE).write_text(json.dumps({"pairs": 12, "shards": 3}))
    with pytest.raises(training_pairs.PairStoreError, match="2 of 3 shards"):
        training_pairs.require_complete(store)
    (store / training_pairs.TARGET_FILE).write_text(json.dumps({"pairs": 8, "shards": 2}))
    # A method that needs fewer pairs reads the first ones only.
    small = warm_starts.load_bank(store, "mobilefacenet192", generator.num_ws, limit=4)
    assert small.pairs == 4 and len(small.latents) == 4 - np.sum(pairs["crossover"][:4] < generator.num_ws)
    with np.load(store / "pairs-00001.npz") as shard:
        np.testing.assert_array_equal(shard["w"], pairs["w"][4:])
    assert len(first) > 0
    with pytest.raises(training_pairs.PairStoreError, match="other settings"):
        training_pairs.build_store(generator, extractor192, store, 8, training_pairs.PairSettings(resolution=64))
    with pytest.raises(training_pairs.PairStoreError, match="not mobilefacenet512"):
        training_pairs.load_store(store, ("z",), "mobilefacenet512")

    # NbNet: a few steps on the pairs lower its held-out loss; a second call continues and keeps the best.
    tf.keras.utils.set_random_seed(0)
    untrained = nbnet.build_nbnet(192)
    before = nbnet.validation_loss(untrained, extractor192, pairs["template"], pairs["face"], 0.1)
    model, meta = nbnet.train_nbnet(pairs, extractor192, tmp_path / "nb", epochs=1, batch_size=4, holdout=0.5)
    steps = nbnet.make_train_step(untrained, extractor192, tf.keras.optimizers.Adam(1e-2), 0.1)
    losses = [float(steps(tf.constant(pairs["template"][:4]), tf.constant(pairs["face"][:4]))[0]) for _ in range(15)]
    assert losses[-1] < losses[0]
    assert np.isfinite(before).all() and before[2] > 0.5   # untrained: the feature loss is near 1 - 0
    _, meta = nbnet.train_nbnet(pairs, extractor192, tmp_path / "nb", epochs=2, batch_size=4, holdout=0.5)
    assert len(meta["epochs"]) == 2 and meta["best_epoch"] in (1, 2)
    assert nbnet.generate_faces(model, pairs["template"][:2]).shape == (2, 160, 160, 3)
    _check_nbnet_resumes_mid_epoch(pairs, extractor192, tmp_path / "nb_resume", monkeypatch)

    # The warm start's latent, through the engine's restraint, renders the given w+.
    w_plus = training_pairs.mix_w_plus(pairs["w"][:2], pairs["w"][2:4], pairs["crossover"][:2], generator.num_ws)
    latent = engine.start_from_w_plus(generator, w_plus, 0.7)
    np.testing.assert_allclose(engine.latent_to_w_plus(generator, tf.constant(latent), "wplus", 0.7).numpy(), w_plus,
                               atol=1e-4)


def _check_nbnet_resumes_mid_epoch(pairs, extractor, directory, monkeypatch):
    """An epoch interrupted after 2 of its 4 batches resumes at batch 3 and records all 4."""
    real_step, state = nbnet.make_train_step, {"calls": 0, "interrupt_at": 3}

    def counting_step(*args):
        step = real_step(*args)

        def wrapped(templates, faces):
            state["calls"] += 1
            if state["calls"] == state["interrupt_at"]:
                raise KeyboardInterrupt
            return step(templates, faces)
        return wrapped

    monkeypatch.setattr(nbnet, "make_train_step", counting_step)
    with pytest.raises(KeyboardInterrupt):
        nbnet.train_nbnet(pairs, extractor, directory, epochs=1, batch_size=1, holdout=0.5, save_every=1)
    _, partial = nbnet.load_nbnet(directory / "last")
    assert partial["in_progress"]["batches_done"] == 2 and partial["epochs"] == []
    state.update(calls=0, interrupt_at=None)
    _, meta = nbnet.train_nbnet(pairs, extractor, directory, epochs=1, batch_size=1, holdout=0.5, save_every=1)
    assert state["calls"] == 2
    assert meta["epochs"][0]["batches"] == 4 and "in_progress" not in meta
