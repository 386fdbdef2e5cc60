"""StyleGAN2 config-f in Keras against an independent NumPy reference, and the weight converters."""

import math

import numpy as np
import pytest

from tf_reconstruct.converters import stylegan2_weights, weight_table
from tf_reconstruct.errors import UserWeightsRequiredError
from tf_reconstruct.models import mapping_network, stylegan2

CHANNELS = {4: 8, 8: 6, 16: 4}
W_DIM = 8
RESOLUTION = 16


# ---- NumPy reference, written from the StyleGAN2 definitions (CHW layout, one sample at a time) ----

def _fir(x, up, pad_before, pad_after, gain):
    taps = np.array([1.0, 3.0, 3.0, 1.0])
    kernel = np.outer(taps, taps)
    kernel = kernel / kernel.sum() * gain
    channels, height, width = x.shape
    upsampled = np.zeros((channels, height * up, width * up))
    upsampled[:, ::up, ::up] = x
    padded = np.pad(upsampled, ((0, 0), (pad_before, pad_after), (pad_before, pad_after)))
    out_h, out_w = padded.shape[1] - 3, padded.shape[2] - 3
    out = np.zeros((channels, out_h, out_w))
    flipped = kernel[::-1, ::-1]
    for a in range(4):
        for b in range(4):
            out += padded[:, a:a + out_h, b:b + out_w] * flipped[a, b]
    return out


def _modulated_weight(raw, w, prefix, demodulate):
    style = w @ raw[f"{prefix}.conv.modulation.weight"].T / math.sqrt(W_DIM) + raw[f"{prefix}.conv.modulation.bias"]
    weight = raw[f"{prefix}.conv.weight"][0]  # [out, in, k, k]
    weight = weight / math.sqrt(weight.shape[1] * weight.shape[2] ** 2) * style[None, :, None, None]
    if demodulate:
        weight = weight / np.sqrt((weight ** 2).sum(axis=(1, 2, 3)) + 1e-8)[:, None, None, None]
    return weight


def _conv_same(x, weight):
    k = weight.shape[-1]
    padded = np.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2)))
    height, width = x.shape[1:]
    out = np.zeros((weight.shape[0], height, width))
    for a in range(k):
        for b in range(k):
            out += np.einsum("ihw,oi->ohw", padded[:, a:a + height, b:b + width], weight[:, :, a, b])
    return out


def _conv_transpose_stride2(x, weight):
    k = weight.shape[-1]
    height, width = x.shape[1:]
    out = np.zeros((weight.shape[0], 2 * height + k - 2, 2 * width + k - 2))
    for a in range(k):
        for b in range(k):
            out[:, a:a + 2 * height:2, b:b + 2 * width:2] += np.einsum("ihw,oi->ohw", x, weight[:, :, a, b])
    return out


def _styled(x, raw, w, prefix, noise_name, upsample=False):
    weight = _modulated_weight(raw, w, prefix, demodulate=True)
    x = _fir(_conv_transpose_stride2(x, weight), 1, 1, 1, 4.0) if upsample else _conv_same(x, weight)
    x = x + raw[f"{prefix}.noise.weight"][0] * raw[noise_name][0]
    x = x + raw[f"{prefix}.activate.bias"][:, None, None]
    return np.where(x >= 0, x, 0.2 * x) * math.sqrt(2.0)


def _to_rgb(x, raw, w, prefix):
    return _conv_same(x, _modulated_weight(raw, w, prefix, demodulate=False)) + raw[f"{prefix}.bias"][0]


def reference_synthesis(raw, w_plus):
    x = raw["input.input"][0]
    x = _styled(x, raw, w_plus[0], "conv1", "noises.noise_0")
    rgb = _to_rgb(x, raw, w_plus[1], "to_rgb1")
    for block in range(2):
        x = _styled(x, raw, w_plus[2 * block + 1], f"convs.{2 * block}", f"noises.noise_{2 * block + 1}", True)
        x = _styled(x, raw, w_plus[2 * block + 2], f"convs.{2 * block + 1}", f"noises.noise_{2 * block + 2}")
        rgb = _fir(rgb, 2, 2, 1, 4.0) + _to_rgb(x, raw, w_plus[2 * block + 3], f"to_rgbs.{block}")
    return rgb.transpose(1, 2, 0)


def random_rosinality_state(seed=0):
    rng = np.random.default_rng(seed)
    state = {"input.input": rng.standard_normal((1, CHANNELS[4], 4, 4))}
    for index in range(8):
        state[f"style.{index + 1}.weight"] = rng.standard_normal((W_DIM, W_DIM)) * 100
        state[f"style.{index + 1}.bias"] = rng.standard_normal(W_DIM)

    def layer(prefix, channels_in, channels_out, k, rgb=False):
        state[f"{prefix}.conv.weight"] = rng.standard_normal((1, channels_out, channels_in, k, k))
        state[f"{prefix}.conv.modulation.weight"] = rng.standard_normal((channels_in, W_DIM))
        state[f"{prefix}.conv.modulation.bias"] = 1 + 0.1 * rng.standard_normal(channels_in)
        if rgb:
            state[f"{prefix}.bias"] = rng.standard_normal((1, 3, 1, 1))
        else:
            state[f"{prefix}.noise.weight"] = rng.standard_normal(1) * 0.3
            state[f"{prefix}.activate.bias"] = rng.standard_normal(channels_out) * 0.1
    layer("conv1", CHANNELS[4], CHANNELS[4], 3)
    layer("to_rgb1", CHANNELS[4], 3, 1, rgb=True)
    state["noises.noise_0"] = rng.standard_normal((1, 1, 4, 4))
    for block, size in enumerate((8, 16)):
        layer(f"convs.{2 * block}", CHANNELS[size // 2], CHANNELS[size], 3)
        layer(f"convs.{2 * block + 1}", CHANNELS[size], CHANNELS[size], 3)
        layer(f"to_rgbs.{block}", CHANNELS[size], 3, 1, rgb=True)
        state[f"noises.noise_{2 * block + 1}"] = rng.standard_normal((1, 1, size, size))
        state[f"noises.noise_{2 * block + 2}"] = rng.standard_normal((1, 1, size, size))
    return {key: value.astype(np.float32) for key, value in state.items()}


def rosinality_to_official(state):
    """The same weights under NVIDIA's TF1 names and layouts (the inverse of the published conversion)."""
    official = {"G_synthesis/4x4/Const/const": state["input.input"]}
    for index in range(8):
        official[f"G_mapping/Dense{index}/weight"] = state[f"style.{index + 1}.weight"].T
        official[f"G_mapping/Dense{index}/bias"] = state[f"style.{index + 1}.bias"]

    def layer(scope, prefix, noise_name=None, flip=False, rgb=False):
        kernel = state[f"{prefix}.conv.weight"][0].transpose(2, 3, 1, 0)
        official[f"G_synthesis/{scope}/weight"] = kernel[::-1, ::-1] if flip else kernel
        official[f"G_synthesis/{scope}/mod_weight"] = state[f"{prefix}.conv.modulation.weight"].T
        official[f"G_synthesis/{scope}/mod_bias"] = state[f"{prefix}.conv.modulation.bias"] - 1
        official[f"G_synthesis/{scope}/bias"] = state[f"{prefix}.bias"].reshape(-1) if rgb else \
            state[f"{prefix}.activate.bias"]
        if noise_name is not None:
            official[f"G_synthesis/{scope}/noise_strength"] = state[f"{prefix}.noise.weight"].reshape(())
            official[f"G_synthesis/noise{noise_name}"] = state[f"noises.noise_{noise_name}"]
    layer("4x4/Conv", "conv1", 0)
    layer("4x4/ToRGB", "to_rgb1", rgb=True)
    for block, size in enumerate((8, 16)):
        layer(f"{size}x{size}/Conv0_up", f"convs.{2 * block}", 2 * block + 1, flip=True)
        layer(f"{size}x{size}/Conv1", f"convs.{2 * block + 1}", 2 * block + 2)
        layer(f"{size}x{size}/ToRGB", f"to_rgbs.{block}", rgb=True)
    return official


def _keras_synthesis(table):
    model = stylegan2.build_stylegan2_synthesis(RESOLUTION, CHANNELS, W_DIM)
    weight_table.assign(model, table, source="test weights")
    return model


def test_keras_synthesis_matches_numpy_reference():
    state = random_rosinality_state()
    _, synthesis = stylegan2_weights.stylegan2_tables(state, RESOLUTION, W_DIM)
    model = _keras_synthesis(synthesis)
    w_plus = np.random.default_rng(1).standard_normal((2, stylegan2.num_ws_for(RESOLUTION), W_DIM)).astype(np.float32)
    images = model(w_plus).numpy()
    assert images.shape == (2, 16, 16, 3)
    for index in range(2):
        reference = reference_synthesis(state, w_plus[index].astype(np.float64))
        np.testing.assert_allclose(images[index], reference, rtol=1e-4, atol=1e-4 * np.abs(reference).max())


def test_official_and_tf2_names_give_the_same_model():
    state = random_rosinality_state(3)
    w_plus = np.random.default_rng(4).standard_normal((1, 6, W_DIM)).astype(np.float32)
    expected = _keras_synthesis(stylegan2_weights.stylegan2_tables(state, RESOLUTION, W_DIM)[1])(w_plus).numpy()
    official = rosinality_to_official(state)
    tf2 = {name.replace("G_synthesis/", "synthesis/").replace("G_mapping/", "mapping/") + ":0": value
           for name, value in official.items()}
    for weights in (official, tf2):
        _, synthesis = stylegan2_weights.stylegan2_tables(weights, RESOLUTION, W_DIM)
        np.testing.assert_allclose(_keras_synthesis(synthesis)(w_plus).numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.models
def test_real_mapping_weights_round_trip_through_the_official_converter(generator):
    effective = {w.name.split(":")[0]: w.numpy() for w in generator.mapping.weights}
    official = {}
    for index in range(8):
        official[f"G_mapping/Dense{index}/weight"] = effective[f"mapping_dense_{index}/kernel"] / (0.01 / math.sqrt(512))
        official[f"G_mapping/Dense{index}/bias"] = effective[f"mapping_dense_{index}/bias"] / 0.01
    # Only the mapping is checked, so give the synthesis part from a tiny random model.
    official.update({k: v for k, v in rosinality_to_official(random_rosinality_state()).items()
                     if k.startswith("G_synthesis")})
    mapping_table, _ = stylegan2_weights.stylegan2_tables(official, RESOLUTION, W_DIM)
    mapping = mapping_network.build_mapping_network()
    weight_table.assign(mapping, mapping_table, source="official-format mapping")
    z = np.random.default_rng(9).standard_normal((4, 512)).astype(np.float32)
    np.testing.assert_allclose(mapping(z).numpy(), generator.mapping(z).numpy(), rtol=1e-5, atol=1e-5)


def test_missing_user_weights_say_what_to_supply(tmp_path):
    with pytest.raises(UserWeightsRequiredError, match="config-f"):
        stylegan2_weights.read_weight_dict(tmp_path / "absent.pt")


def test_get_generator_stylegan2_without_weights_says_what_to_supply():
    from tf_reconstruct.models import registry
    with pytest.raises(UserWeightsRequiredError, match="--generator_weights"):
        registry.get_generator("stylegan2")


def test_truncated_synthesis_is_the_skip_rgb_of_the_full_network():
    state = random_rosinality_state(5)
    _, synthesis = stylegan2_weights.stylegan2_tables(state, RESOLUTION, W_DIM)
    half = stylegan2.build_stylegan2_synthesis(8, {4: 8, 8: 6}, W_DIM)
    weight_table.assign(half, synthesis, allow_unused=True)
    w_plus = np.random.default_rng(6).standard_normal((1, 6, W_DIM)).astype(np.float32)
    full_model = _keras_synthesis(synthesis)
    import tensorflow as tf
    probe = tf.keras.Model(full_model.input, full_model.get_layer("skip_0").output)
    np.testing.assert_allclose(half(w_plus[:, :4]).numpy(), probe(w_plus).numpy(), atol=1e-5)


def test_keras_format_round_trip(tmp_path):
    import tensorflow as tf
    model = stylegan2.build_stylegan2_synthesis(RESOLUTION, CHANNELS, W_DIM)
    w_plus = np.random.default_rng(8).standard_normal((1, 6, W_DIM)).astype(np.float32)
    model.save(tmp_path / "stylegan2.keras")
    reloaded = tf.keras.models.load_model(tmp_path / "stylegan2.keras", compile=False)
    np.testing.assert_allclose(reloaded(w_plus).numpy(), model(w_plus).numpy(), atol=1e-5)
