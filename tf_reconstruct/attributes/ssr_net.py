"""SSR-Net's crop and its stage-wise regression, as pure functions (fr_age.onnx, fr_gender.onnx).

Both models are SSR-Net (Yang et al., IJCAI 2018) exports. Their JavaScript (`lib/fr_age.js`,
`lib/fr_gender.js` of npm faceplugin-face-recognition-js@0.0.1) crops the detector box scaled by 1.4
about its centre, shifted (not clamped) back inside the image, resizes it to 64x64, normalises the
channels with the ImageNet mean and standard deviation, and merges the nine outputs with `merge` below
(V = 101 for age in years, V = 1 for gender in [0, 1]).

The channels are fed in BGR order although the JavaScript reads them as RGB, as for fr_liveness.onnx of
the same package: on 80 LFW photos of 20 public figures (10 men, 10 women) the gender output separates
them with AUC 0.89 in BGR and 0.77 in RGB, at the JavaScript's crop (BUILD_NOTES.md, Resemblance).

    crop_box(box, width, height, scale) -> [x, y, w, h] integer crop
    normalise(crop_rgb_uint8 [64, 64, 3]) -> [1, 3, 64, 64] float32, BGR
    merge(outputs {name: array}, value_range) -> float
"""

import numpy as np

INPUT_SIZE = 64
BOX_SCALE = 1.4
MEAN = np.array([0.485, 0.456, 0.406], np.float32)   # the JavaScript's channels 0, 1, 2 (fed BGR here)
STD = np.array([0.229, 0.224, 0.225], np.float32)
AGE_RANGE = 101
GENDER_RANGE = 1
# The models' output names in the order the JavaScript concatenates them.
OUTPUTS = ("prob_stage_1", "prob_stage_2", "prob_stage_3", "stage1_delta_k", "stage2_delta_k", "stage3_delta_k",
           "index_offset_stage1", "index_offset_stage2", "index_offset_stage3")


def crop_box(box, width, height, scale=BOX_SCALE):
    """The JavaScript's crop of a box [x, y, w, h] in a width x height image: scaled about its centre by
    min(scale, (H-1)/h, (W-1)/w), then shifted back inside the image. Returns integer [x, y, w, h]."""
    x, y, box_w, box_h = (float(value) for value in box)
    scale = min((height - 1) / box_h, (width - 1) / box_w, scale)
    new_w, new_h = box_w * scale, box_h * scale
    centre_x, centre_y = x + box_w / 2, y + box_h / 2
    left, top, right, bottom = centre_x - new_w / 2, centre_y - new_h / 2, centre_x + new_w / 2, centre_y + new_h / 2
    if left < 0:
        right, left = right - left, 0.0
    if top < 0:
        bottom, top = bottom - top, 0.0
    if right > width - 1:
        left, right = left - (right - width + 1), width - 1.0
    if bottom > height - 1:
        top, bottom = top - (bottom - height + 1), height - 1.0
    # JavaScript parseInt truncates towards zero.
    return [max(int(left), 0), max(int(top), 0), min(int(right - left), width - 1), min(int(bottom - top), height - 1)]


def normalise(crop):
    """RGB uint8 [64, 64, 3] -> [1, 3, 64, 64] float32: BGR, (pixel / 255 - mean) / std per channel."""
    crop = np.asarray(crop, np.float32) / 255.0
    if crop.shape != (INPUT_SIZE, INPUT_SIZE, 3):
        raise ValueError(f"SSR-Net takes a {INPUT_SIZE}x{INPUT_SIZE} RGB crop, got {crop.shape}")
    crop = crop[..., ::-1]
    return np.ascontiguousarray(np.transpose((crop - MEAN) / STD, (2, 0, 1))[None])


def merge(outputs, value_range, stages=(3, 3, 3), lambda_local=1.0, lambda_d=1.0):
    """SSR-Net's soft stage-wise regression (the JavaScript's mergeAge / mergeGender).

    outputs: {name: array} with the names of OUTPUTS: per stage k a probability vector p_k over s_k bins,
    a scale delta_k and per-bin offsets eta_k. Value = V * sum_k [sum_i (i + lambda_local eta_k,i) p_k,i]
    / prod_{j<=k} s_j (1 + lambda_d delta_j). As in the JavaScript, stage 2 divides by s_1 (1 + lambda_d
    delta_1) times s_2 (1 + lambda_d delta_2), and so on.
    """
    flat = np.concatenate([np.ravel(outputs[name]) for name in OUTPUTS]).astype(np.float64)
    total, denominator, offset = 0.0, 1.0, 0
    for stage, size in enumerate(stages):
        probabilities = flat[offset:offset + size]
        delta = flat[9 + stage]
        eta = flat[12 + 3 * stage:12 + 3 * stage + size]
        denominator *= size * (1.0 + lambda_d * delta)
        total += np.sum((np.arange(size) + lambda_local * eta) * probabilities) / denominator
        offset += size
    return float(total * value_range)
