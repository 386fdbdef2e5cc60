"""Editing maths: InterfaceGAN boundaries on synthetic latents, conditioning, layer ranges, the edit itself,
and the normalisation loop on a stub classifier."""

import numpy as np
import pytest

from tf_reconstruct.editing import boundaries, directions, normalize


def _unit(vector):
    return vector / np.linalg.norm(vector)


def test_split_extremes_takes_the_top_and_bottom_fraction_and_splits_70_30():
    scores = np.arange(100.0)
    train, train_label, valid, valid_label, rest = boundaries.split_extremes(scores, 0.1, seed=3)
    assert len(train) == 14 and len(valid) == 6 and len(rest) == 80
    chosen = np.concatenate([train, valid])
    labels = np.concatenate([train_label, valid_label])
    assert sorted(chosen[labels == 1]) == list(range(90, 100)) and sorted(chosen[labels == 0]) == list(range(10))
    assert sorted(rest) == list(range(10, 90))
    with pytest.raises(ValueError, match="at least 2"):
        boundaries.split_extremes(np.arange(10.0), 0.1)


def test_boundary_recovers_the_true_normal_of_separable_latents():
    rng = np.random.default_rng(0)
    truth = _unit(rng.standard_normal(64))
    latents = rng.standard_normal((6000, 64)) + 0.5
    scores = latents @ truth + 0.01 * rng.standard_normal(6000)
    scores[5] = np.nan   # an unlabelled sample is dropped
    boundary = boundaries.train_boundary(latents, scores, fraction=0.1, seed=0)
    assert float(boundary.normal @ truth) >= 0.99
    assert np.linalg.norm(boundary.normal) == pytest.approx(1.0, abs=1e-6)
    assert boundary.report["validation_accuracy"] == 1.0 and boundary.report["samples"] == 5999
    assert boundary.report["slope"] == pytest.approx(1.0, abs=0.05)
    assert 0.5 < boundary.report["remaining_accuracy"] <= 1.0


def test_boundary_save_and_load_round_trip_and_name_what_is_missing(tmp_path):
    boundary = boundaries.Boundary(_unit(np.ones(512, np.float32)), 0.25, {"slope": 2.0})
    boundaries.save(boundary, tmp_path, "smile", {"samples_dir": "x"})
    loaded = boundaries.load(tmp_path, "smile")
    np.testing.assert_array_equal(loaded.normal, boundary.normal)
    assert loaded.offset == 0.25 and loaded.report == {"slope": 2.0}
    with pytest.raises(boundaries.BoundaryError, match="there: smile"):
        boundaries.load(tmp_path, "age")


def test_conditioning_leaves_the_edit_orthogonal_to_the_conditions():
    rng = np.random.default_rng(1)
    primary, first, second = (_unit(rng.standard_normal(512)) for _ in range(3))
    first = _unit(first + 0.6 * primary)   # correlated, as age and glasses are
    edited = directions.conditioned(primary, [first, second])
    assert abs(float(edited @ first)) < 1e-5 and abs(float(edited @ second)) < 1e-5
    assert np.linalg.norm(edited) == pytest.approx(1.0, abs=1e-6)
    # InterfaceGAN's closed form for two conditions gives the same direction.
    p1, p2, c12 = primary @ first, primary @ second, first @ second
    alpha = (p1 - p2 * c12) / (1 - c12 ** 2)
    beta = (p2 - p1 * c12) / (1 - c12 ** 2)
    np.testing.assert_allclose(edited, _unit(primary - alpha * first - beta * second), atol=1e-5)
    # One condition: n - (n.c) c.
    np.testing.assert_allclose(directions.conditioned(primary, [first]), _unit(primary - (primary @ first) * first),
                               atol=1e-5)
    with pytest.raises(ValueError, match="span"):
        directions.conditioned(first, [first])


def test_layer_rows_name_the_resolutions_and_reject_unknown_ranges():
    assert directions.layer_rows("mobilestylegan", 23, "coarse") == [0, 1, 2, 3]
    assert directions.layer_rows("mobilestylegan", 23, "coarse,middle") == list(range(10))
    assert directions.layer_rows("stylegan2", 18, "fine") == list(range(8, 18))
    assert directions.layer_rows("mobilestylegan", 23, "2-4") == [2, 3, 4]
    assert directions.layer_rows("mobilestylegan", 23) == list(range(23))
    with pytest.raises(ValueError, match="coarse, middle, fine"):
        directions.layer_rows("mobilestylegan", 23, "eyes")
    with pytest.raises(ValueError, match="0-22"):
        directions.layer_rows("mobilestylegan", 23, "20-30")


def test_edit_moves_only_the_chosen_rows_by_alpha_times_the_normal():
    w_plus = np.random.default_rng(2).standard_normal((23, 512)).astype(np.float32)
    normal = _unit(np.ones(512, np.float32))
    edited = directions.edit(w_plus, normal, [-2.0, 0.0, 1.5], rows=[0, 1])
    assert edited.shape == (3, 23, 512)
    np.testing.assert_array_equal(edited[1], w_plus)
    np.testing.assert_allclose(edited[2, :2], w_plus[:2] + 1.5 * normal, atol=1e-6)
    np.testing.assert_array_equal(edited[0, 2:], w_plus[2:])
    with pytest.raises(ValueError, match="num_ws, 512"):
        directions.edit(w_plus[:, :100], normal, [1.0])


def test_normalisation_loop_converges_on_a_stub_classifier():
    rng = np.random.default_rng(4)
    yaw_normal, smile_normal = _unit(rng.standard_normal(512)), _unit(rng.standard_normal(512))
    smile_normal = _unit(smile_normal + 0.3 * yaw_normal)   # correlated normals

    def measure(w_plus):   # a nonlinear stub: yaw saturates, smile is a sigmoid of its projection
        w = w_plus.mean(axis=0)
        return {"yaw": 40 * np.tanh(float(w @ yaw_normal) / 3), "pitch": -8.0,
                "smile": 1 / (1 + np.exp(-2 * float(w @ smile_normal)))}
    found = {"yaw": boundaries.Boundary(yaw_normal, 0.0, {"slope": 10.0}),
             "pitch": boundaries.Boundary(_unit(rng.standard_normal(512)), 0.0, {"slope": 5.0}),
             "smile": boundaries.Boundary(smile_normal, 0.0, {"slope": 0.3})}
    start = np.tile((2.5 * yaw_normal + 1.5 * smile_normal)[None], (23, 1)).astype(np.float32)
    assert measure(start)["yaw"] > 25 and measure(start)["smile"] > 0.9
    best, history = normalize.normalize(start, measure, found, max_iterations=10)
    final = measure(best)
    assert abs(final["yaw"]) <= 5 and final["smile"] <= 0.5
    assert history[-1]["error"] == 0.0 and len(history) <= 11
    with pytest.raises(ValueError, match="boundaries for pitch"):
        normalize.normalize(start, measure, {"yaw": found["yaw"], "smile": found["smile"]})
