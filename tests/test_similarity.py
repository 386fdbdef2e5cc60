import numpy as np
import pytest

from tf_reconstruct.align.similarity import apply_affine, estimate_similarity, invert_affine


def test_recovers_a_known_similarity():
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -2.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = np.array([[0, 0], [10, 0], [0, 10], [7, 3], [2, 9]], float)
    target = source @ (scale * rotation).T + shift
    matrix = estimate_similarity(source, target)
    np.testing.assert_allclose(matrix[:, :2], scale * rotation, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)
    np.testing.assert_allclose(apply_affine(invert_affine(matrix), target), source, atol=1e-9)


def test_never_returns_a_reflection():
    source = np.array([[0, 0], [1, 0], [0, 1]], float)
    mirrored = source * [-1, 1]
    assert np.linalg.det(estimate_similarity(source, mirrored)[:, :2]) > 0


def test_rejects_degenerate_points():
    with pytest.raises(ValueError, match="one place"):
        estimate_similarity(np.ones((5, 2)), np.random.rand(5, 2))
    with pytest.raises(ValueError, match="matching"):
        estimate_similarity(np.ones((5, 2)), np.ones((4, 2)))
