"""The latent bank on a hand-made bank: nearest neighbours by cosine and the similarity-weighted start."""

import numpy as np
import pytest

from tf_reconstruct.optimize import warm_starts


def _bank():
    templates = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]], np.float32)
    latents = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [5.0, 5.0, 5.0]], np.float32)
    return warm_starts.LatentBank(templates, latents)


def test_nearest_orders_by_cosine_and_ignores_the_template_norm():
    indices, cosines = _bank().nearest(np.array([[10.0, 1.0]]), neighbours=3)
    assert indices.tolist() == [[0, 2, 1]]
    np.testing.assert_allclose(cosines[0], [10 / np.sqrt(101), 11 / np.sqrt(202), 1 / np.sqrt(101)], rtol=1e-6)


def test_start_weights_neighbours_by_softmax_of_similarity():
    bank = _bank()
    start = bank.start(np.array([[1.0, 1.0]]), neighbours=3, temperature=0.05)
    cosines = np.array([1.0, np.sqrt(0.5), np.sqrt(0.5)])   # entries 2, 0, 1
    weights = np.exp((cosines - 1.0) / 0.05)
    weights /= weights.sum()
    expected = weights[0] * bank.latents[2] + weights[1] * bank.latents[0] + weights[2] * bank.latents[1]
    np.testing.assert_allclose(start[0], expected, rtol=1e-5)
    # One neighbour is that neighbour's latent exactly.
    np.testing.assert_array_equal(bank.start(np.array([[-3.0, 0.1]]), neighbours=1)[0], bank.latents[3])


def test_bank_refuses_templates_of_another_dimension():
    with pytest.raises(ValueError, match="another extractor"):
        _bank().nearest(np.ones((1, 5)))
    with pytest.raises(ValueError, match="as many templates"):
        warm_starts.LatentBank(np.ones((2, 2)), np.ones((3, 512)))


def test_as_w_plus_repeats_w_in_every_row():
    w_plus = warm_starts.as_w_plus(np.arange(6, dtype=np.float32).reshape(2, 3), 4)
    assert w_plus.shape == (2, 4, 3) and (w_plus[:, 3] == w_plus[:, 0]).all()
