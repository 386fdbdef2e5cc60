"""OpenCV's fills: only the hole changes, a flat image stays flat, an unknown method is refused."""

import numpy as np
import pytest

from tf_reconstruct.inpainting import classical


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_classical_fill_changes_only_the_hole_and_keeps_a_flat_colour(method):
    image = np.zeros((32, 32, 3), np.uint8)
    image[:] = (200, 100, 50)
    hole = np.zeros((32, 32), np.uint8)
    hole[10:20, 12:18] = 1
    damaged = image.copy()
    damaged[hole > 0] = 0
    filled = classical.fill(damaged, hole, method)
    np.testing.assert_array_equal(filled[hole == 0], image[hole == 0])
    assert np.abs(filled[hole > 0].astype(int) - image[hole > 0]).max() <= 2


def test_unknown_classical_method_is_named():
    with pytest.raises(ValueError, match="telea or ns"):
        classical.fill(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8)), "patchmatch")
