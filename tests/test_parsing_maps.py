"""Parsing maps are drawn with one colour per region, and the figure is written."""

import numpy as np
import pytest

from tf_reconstruct.inpainting import parsing
from tf_reconstruct.plots import parsing_maps


def test_every_region_has_its_own_colour_and_labels_pick_them():
    assert len(parsing_maps.PALETTE) == len(parsing.REGIONS)
    assert len({tuple(colour) for colour in parsing_maps.PALETTE}) == len(parsing.REGIONS)
    labels = np.array([[0, 3], [9, 10]])
    coloured = parsing_maps.colourise(labels)
    assert coloured.shape == (2, 2, 3) and coloured.dtype == np.uint8
    np.testing.assert_array_equal(coloured[1, 0], parsing_maps.PALETTE[9])
    with pytest.raises(ValueError, match="palette"):
        parsing_maps.colourise(np.array([[11]]))


def test_the_figure_is_written(tmp_path):
    faces = np.full((3, 32, 32, 3), 128, np.uint8)
    labels = np.zeros((3, 32, 32), np.int64)
    labels[:, 8:24, 8:24] = parsing.INDEX["skin"]
    parsing_maps.save_parsing_figure(faces, labels, ["lfw/a", "lfw/b", "ffhq/c"], parsing.REGIONS,
                                     tmp_path / "parsing.png", columns=2)
    assert (tmp_path / "parsing.png").stat().st_size > 1000
