"""Filling a face's hole with the generator's prior: masked W+ inversion (Image2StyleGAN++, Abdal et al. 2020),
unguided or guided by the person's stored template (issue 36).

    fill(image [H, W, 3] uint8 RGB, hole [H, W], generator, extractor, baselines_dir, steps, name, start,
         template=None, identity_weight=None, blend='paste', landmarks=None)
        -> ([H, W, 3] uint8, photo_inversion.Inversion)

The face is found on the image with its hole pre-filled by Telea (a hole over an eye would otherwise hide
it from MTCNN), and the image and hole are warped into the generator's own frame at `resolution` px (the
photo's five landmarks onto the generator's mean ones, as FFHQ aligns its faces). There w+ is fitted to
the known pixels only, plus an identity term:
- unguided: the attacker's template of the holed face, which knows little of what the hole hides; the
  start is the latent bank's w ('bank') or the trained Mapping's ('mapping') for that template;
- guided (`template`, the attacker's template of the same person from another photo or a database): the
  composite's template held to it, so the hole is drawn as that person; the start comes from it too.
The fitted face is warped back and composited into the hole (inpainting/compositing: paste, feather or
Poisson): everything outside the hole stays as it was.

On George_W_Bush_0001 with a 60 x 120 px box over nose and mouth in the 256-px frame, 200 steps: PSNR
28.4 dB on the known pixels, 20.9 dB in the hole (probe of 2026-11-30).
"""

import cv2
import numpy as np

from tf_reconstruct.align import photo_align
from tf_reconstruct.inpainting import compositing, inputs
from tf_reconstruct.optimize import photo_inversion

RESOLUTION = 256
# The guided fill's identity weight (the unguided one is photo_inversion.IDENTITY_WEIGHT), chosen on LFW
# identities outside the inpainting test set: experiments/inpainting/guided_dev.md.
GUIDED_IDENTITY_WEIGHT = 0.1


def chosen_weight(guided, identity_weight=None):
    """The identity weight a fill uses: the one given, or the default of a guided or unguided fill."""
    if identity_weight is not None:
        return identity_weight
    return GUIDED_IDENTITY_WEIGHT if guided else photo_inversion.IDENTITY_WEIGHT


def fill(image, hole, generator, extractor, baselines_dir, steps=300, name="image", start="bank", template=None,
         identity_weight=None, blend="paste", landmarks=None, resolution=RESOLUTION):
    image = photo_align.as_rgb_uint8(image, name)
    hole = (np.asarray(hole) > 0).astype(np.uint8)
    if landmarks is None:
        landmarks = inputs.face_landmarks(image, hole, name)
    framed, matrix = photo_inversion.warp_to_generator_frame(image, landmarks, generator, resolution)
    size = (resolution, resolution)
    # Unknown in the frame: the hole, and what the warp brought in from outside the image.
    inside = cv2.warpAffine(np.ones(hole.shape, np.uint8), matrix, size, flags=cv2.INTER_NEAREST)
    known = (cv2.warpAffine(1 - hole, matrix, size, flags=cv2.INTER_NEAREST) * inside).astype(np.float32)
    holed = (framed * known[..., None]).astype(np.uint8)
    if template is None:
        first = photo_inversion.template_starts(generator, extractor, holed[None], baselines_dir, start)[0]
    else:
        template = np.asarray(template, np.float32).reshape(1, -1)
        first = photo_inversion.starts_for_templates(generator, extractor.name, template, baselines_dir, start)[0]
    result = photo_inversion.invert_framed(generator, extractor, holed, first, steps=steps, known=known,
                                           identity_weight=chosen_weight(template is not None, identity_weight),
                                           template=template)
    back = cv2.warpAffine(result.face, cv2.invertAffineTransform(matrix), image.shape[1::-1], flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return compositing.composite(back, image, hole, blend), result
