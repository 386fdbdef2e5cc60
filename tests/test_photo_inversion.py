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


@pytest.mark.slow
def test_a_given_template_guides_the_composite_not_the_holed_face(generator, extractor192):
    import tensorflow as tf
    from tf_reconstruct.align.generator_warp import warp_to_arcface
    rng = np.random.default_rng(1)
    face = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    start = generator.mean_w_plus(1)[0]
    known = np.ones((64, 64), np.float32)
    known[20:50, 16:48] = 0
    template = rng.standard_normal(192).astype(np.float32)
    before = photo_inversion.invert_framed(generator, extractor192, face, start, steps=0, known=known,
                                           identity_weight=5.0, template=template)
    after = photo_inversion.invert_framed(generator, extractor192, face, start, steps=6, known=known,
                                          identity_weight=5.0, template=template)
    # The reported cosine is the composite's (the photo's known pixels, the fit in the hole) to the given template.
    composite = np.where(known[..., None] > 0, face, after.face).astype(np.float32) / 127.5 - 1.0
    crop = warp_to_arcface(tf.constant(composite[None]), generator.landmarks)
    embedded = extractor192(crop, value_range="signed").numpy()[0]
    expected = float(embedded @ template / np.linalg.norm(embedded) / np.linalg.norm(template))
    assert after.cosine == pytest.approx(expected, abs=0.02)
    assert after.cosine > before.cosine + 0.01   # the fill moved towards the template
    other = photo_inversion.invert_framed(generator, extractor192, face, start, steps=6, known=known,
                                          identity_weight=5.0, template=-template)
    assert np.abs(other.w_plus - after.w_plus).max() > 1e-3   # another template, another fill


def test_a_snapshot_is_the_face_a_shorter_fit_ends_with(generator, extractor192):
    rng = np.random.default_rng(1)
    face = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    start = generator.mean_w_plus(1)[0]
    longer = photo_inversion.invert_framed(generator, extractor192, face, start, steps=4, snapshots=[2])
    shorter = photo_inversion.invert_framed(generator, extractor192, face, start, steps=2)
    assert list(longer.snapshots) == [2] and shorter.snapshots == {}
    # The same path: its first two steps are the shorter fit's (uint8 rounding aside).
    assert np.abs(longer.snapshots[2].astype(int) - shorter.face).max() <= 1
    assert np.abs(longer.face.astype(int) - shorter.face).max() > 1   # and the last two moved it on
    with pytest.raises(ValueError, match="between 1 and 3 steps"):
        photo_inversion.invert_framed(generator, extractor192, face, start, steps=4, snapshots=[4])
