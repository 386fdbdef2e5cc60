"""Photo inversion: a batch inverts each face as it would alone, and the known-pixel mask is honoured."""

import numpy as np
import pytest

from tf_reconstruct.optimize import photo_inversion

pytestmark = [pytest.mark.models]


@pytest.mark.slow
def test_a_batch_inverts_each_face_as_alone_and_the_mask_limits_the_pixel_loss(generator, extractor192):
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (2, 64, 64, 3)).astype(np.uint8)
    starts = np.repeat(generator.mean_w_plus(1), 2, axis=0) + 0.01 * rng.standard_normal((2, generator.num_ws, 512))
    known = np.ones((2, 64, 64), np.float32)
    known[1, :32] = 0
    batch = photo_inversion.invert_framed(generator, extractor192, faces, starts, steps=3, known=known)
    for index in range(2):
        alone = photo_inversion.invert_framed(generator, extractor192, faces[index], starts[index], steps=3,
                                              known=known[index])
        # The same path up to floating point: Adam's first steps are about lr x sign(gradient), so a gradient
        # element near 0 may move either way, but the faces agree.
        assert np.abs(batch[index].w_plus - alone.w_plus).max() < 0.05
        assert batch[index].face.shape == (64, 64, 3)
        assert np.abs(batch[index].face.astype(int) - alone.face).mean() < 1.0
    # PSNR of the half-known face counts its known half only.
    expected = photo_inversion.psnr(batch[1].face[32:], faces[1][32:])
    assert batch[1].psnr == pytest.approx(expected)
    # Unknown pixels give no gradient: changing them does not change the fit.
    changed = faces.copy()
    changed[1, :32] = 255 - changed[1, :32]
    again = photo_inversion.invert_framed(generator, extractor192, changed[1], starts[1], steps=3, known=known[1],
                                          identity_weight=0.0)
    same = photo_inversion.invert_framed(generator, extractor192, faces[1], starts[1], steps=3, known=known[1],
                                         identity_weight=0.0)
    np.testing.assert_allclose(again.w_plus, same.w_plus, atol=1e-6)
