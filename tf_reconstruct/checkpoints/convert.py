"""Convert the fetched models to Keras weights and compute the generator statistics, into checkpoints/converted/.

Steps (each skipped when its output exists and was made from the same inputs, recorded in a stamp):
  mobilestylegan_mapping.npz, mobilestylegan_synthesis.npz  from the OpenVINO IR
  mobilefacenet192.npz  from the TFLite file;  mobilefacenet512.npz  from the ONNX file
  mobilestylegan_w_avg.npy  mean of mapping(z) over 100,000 z ~ N(0, I), seed 0 (the paper's mean start)
  mobilestylegan_heads.npz  early-exit to_img heads of blocks 0-5, fitted by least squares (see below)
  mobilestylegan_landmarks.json  mean MTCNN five points on generated faces (for the fixed warp)
"""

import json

import numpy as np
import tensorflow as tf
from absl import logging

from tf_reconstruct import atomic_files
from tf_reconstruct.checkpoints import fetch
from tf_reconstruct.converters import mobilefacenet_onnx, mobilefacenet_tflite, mobilestylegan_ir, weight_table
from tf_reconstruct.models import mapping_network, mobile_stylegan, mobilefacenet
from tf_reconstruct.models.mean_latent import W_AVG_SAMPLES, compute_w_avg
from tf_reconstruct.models.registry import converted_path
from tf_reconstruct.models.wavelets import haar_forward, haar_inverse

FIT_SAMPLES = 48
FIT_SEED = 2023


def _write_json(path, payload):
    atomic_files.write_text(path, json.dumps(payload, indent=2))


def _stamp_matches(output, inputs):
    stamp = output.with_name(output.name + ".stamp.json")
    return output.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == inputs


def _write_stamp(output, inputs):
    _write_json(output.with_name(output.name + ".stamp.json"), inputs)


def _input_sums(names):
    from tf_reconstruct.checkpoints import sources
    return {name: sources.find(name)[1].sha256 for name in names}


def _step(output, input_names, make, extra=None):
    """Runs `make(output)` unless `output` is already up to date with `input_names` (+ `extra` settings)."""
    inputs = {"inputs": _input_sums(input_names), "settings": extra or {}}
    if _stamp_matches(output, inputs):
        logging.info("Up to date: %s", output.name)
        return
    logging.info("Making %s", output.name)
    output.parent.mkdir(parents=True, exist_ok=True)
    make(output)
    _write_stamp(output, inputs)


def convert_mapping(output, root=None):
    model = mapping_network.build_mapping_network()
    table = mobilestylegan_ir.mapping_table(fetch.require_raw("mobilestylegan_mapping_xml", root))
    weight_table.assign(model, table, source="MappingNetwork IR")
    weight_table.save_npz(model, output)


def convert_synthesis(output, root=None):
    model = mobile_stylegan.build_mobile_synthesis(1024)
    table = mobilestylegan_ir.synthesis_table(fetch.require_raw("mobilestylegan_synthesis_xml", root))
    weight_table.assign(model, table, source="SynthesisNetwork IR")
    weight_table.save_npz(model, output)


def convert_mobilefacenet(variant, output, root=None):
    model = mobilefacenet.build_mobilefacenet(variant)
    if variant == "mobilefacenet192":
        table = mobilefacenet_tflite.mobilefacenet192_table(fetch.require_raw("mobilefacenet192_tflite", root), model)
    else:
        table = mobilefacenet_onnx.mobilefacenet512_table(fetch.require_raw("mobilefacenet512_onnx", root), model)
    weight_table.assign(model, table, source=variant)
    weight_table.save_npz(model, output)


def _sample_generator(mapping, synthesis_1024, samples, seed):
    """Yields (w_plus [1, 23, 512], block features list, image [1, 1024, 1024, 3]) for random z."""
    feature_layers = [synthesis_1024.get_layer(f"layers_{block}_conv2").output for block in range(6)]
    probe = tf.keras.Model(synthesis_1024.input, feature_layers + [synthesis_1024.output])
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        z = rng.standard_normal((1, 512)).astype(np.float32)
        w_plus = np.repeat(mapping(z).numpy()[:, None], mobile_stylegan.NUM_WS, axis=1)
        *features, image = probe(w_plus, training=False)
        yield w_plus, [f.numpy() for f in features], image


def fit_early_exit_heads(mapping, synthesis_1024, samples=FIT_SAMPLES, seed=FIT_SEED, ridge=1e-3):
    """Fits to_img heads for blocks 0-5 (the exported IR holds only block 6's), and reports their quality.

    Block k's head is a ModulatedConv like the real to_img: it maps conv2 features [r, r, C] and the
    style row 3k+3 to 12 Haar channels, an image of 2r px. Target: the full 1024 image box-filtered to
    2r. The 1x1 kernel and bias are solved by ridge least squares with unit modulation (training the
    modulation as well with Adam was measured and gave no gain: identity cosine 0.900 vs 0.898 at 256 px).

    Returns: (weight table, {block: PSNR in dB of the head image vs the box-filtered full image}).
    """
    collected = list(_sample_generator(mapping, synthesis_1024, samples, seed))
    holdout = collected[-4:]
    training = collected[:-4]
    table, psnr = {}, {}
    for block in range(6):
        channels = mobile_stylegan.CHANNELS[block + 1]
        size = 2 * collected[0][1][block].shape[1]

        def target(image):
            return tf.nn.avg_pool2d(image, 1024 // size, 1024 // size, "VALID")

        normal = np.zeros((channels + 1, channels + 1))
        cross = np.zeros((channels + 1, 12))
        for _, features, image in training:
            x = features[block].reshape(-1, channels).astype(np.float64)
            x = np.concatenate([x, np.ones((len(x), 1))], axis=1)
            normal += x.T @ x
            cross += x.T @ haar_forward(target(image)).numpy().reshape(-1, 12)
        regulariser = ridge * np.trace(normal) / len(normal) * np.eye(len(normal))
        solution = np.linalg.solve(normal + regulariser, cross)

        name = f"layers_{block}_to_img"
        head = mobile_stylegan.ModulatedConv(channels, 12, 1, name=name)
        head([tf.zeros([1, size // 2, size // 2, channels]), tf.zeros([1, 512])])
        head.modulation_kernel.assign(np.zeros((512, channels), np.float32))
        head.modulation_bias.assign(np.ones((channels,), np.float32))
        head.kernel.assign(solution[:-1].reshape(1, 1, channels, 12).astype(np.float32))
        head.bias.assign(solution[-1].astype(np.float32))

        def predict(features, w_plus):
            return haar_inverse(head([features, w_plus[:, mobile_stylegan.style_rows(block)[2]]]))

        for variable in head.weights:
            table[f"{name}/{variable.name.split('/')[-1].split(':')[0]}"] = variable.numpy()
        errors = [np.mean((predict(item[1][block], item[0]).numpy() - target(item[2]).numpy()) ** 2)
                  for item in holdout]
        # Images span [-1, 1]: peak-to-peak 2.
        psnr[block] = float(10 * np.log10(4.0 / np.mean(errors)))
        logging.info("Early-exit head %d px: held-out PSNR %.2f dB", size, psnr[block])
    return table, psnr


def estimate_generator_landmarks(mapping, synthesis_1024, samples=FIT_SAMPLES, seed=FIT_SEED + 1):
    """Mean MTCNN five points over generated faces, as fractions of the image side (detected at 256 px)."""
    from tf_reconstruct.align.photo_align import NoFaceFoundError, detect_landmarks, signed_to_uint8
    points = []
    for _, _, image in _sample_generator(mapping, synthesis_1024, samples, seed):
        small = signed_to_uint8(tf.nn.avg_pool2d(image, 4, 4, "VALID")[0].numpy())
        try:
            landmarks = detect_landmarks(small, "generated face")
        except NoFaceFoundError:
            continue
        points.append((landmarks + 0.5) / small.shape[0])
    points = np.array(points)
    return {"mean_fraction": points.mean(0).tolist(), "std_fraction": points.std(0).tolist(),
            "faces_detected": int(len(points)), "faces_generated": samples,
            "how": "MTCNN (mtcnn==1.0.0) on MobileStyleGAN 1024px faces from z ~ N(0, I), seed "
                   f"{seed}, box-filtered to 256px; (x + 0.5) / 256 averaged over detected faces"}


def convert_all(root=None):
    """Runs every conversion step. Returns the list of converted files."""
    ir_names = ["mobilestylegan_mapping_xml", "mobilestylegan_mapping_bin",
                "mobilestylegan_synthesis_xml", "mobilestylegan_synthesis_bin"]
    outputs = {name: converted_path(name, root) for name in (
        "mobilestylegan_mapping.npz", "mobilestylegan_synthesis.npz", "mobilefacenet192.npz",
        "mobilefacenet512.npz", "mobilestylegan_w_avg.npy", "mobilestylegan_heads.npz",
        "mobilestylegan_landmarks.json")}
    _step(outputs["mobilestylegan_mapping.npz"], ir_names[:2], lambda out: convert_mapping(out, root))
    _step(outputs["mobilestylegan_synthesis.npz"], ir_names[2:], lambda out: convert_synthesis(out, root))
    _step(outputs["mobilefacenet192.npz"], ["mobilefacenet192_tflite"],
          lambda out: convert_mobilefacenet("mobilefacenet192", out, root))
    _step(outputs["mobilefacenet512.npz"], ["mobilefacenet512_onnx"],
          lambda out: convert_mobilefacenet("mobilefacenet512", out, root))

    mapping = mapping_network.build_mapping_network()
    weight_table.load_npz(mapping, outputs["mobilestylegan_mapping.npz"])

    def make_w_avg(out):
        with atomic_files.replacing(out) as temporary:
            np.save(temporary, compute_w_avg(mapping))
    _step(outputs["mobilestylegan_w_avg.npy"], ir_names[:2], make_w_avg, {"samples": W_AVG_SAMPLES, "seed": 0})

    synthesis = None

    def full_synthesis():
        nonlocal synthesis
        if synthesis is None:
            synthesis = mobile_stylegan.build_mobile_synthesis(1024)
            weight_table.load_npz(synthesis, outputs["mobilestylegan_synthesis.npz"])
        return synthesis

    def make_heads(out):
        table, psnr = fit_early_exit_heads(mapping, full_synthesis())
        with atomic_files.replacing(out) as temporary:
            np.savez(temporary, **table)
        _write_json(out.with_name("mobilestylegan_heads_quality.json"),
                    {"psnr_db_vs_box_filtered_1024": {str(2 ** (block + 4)): value for block, value in psnr.items()},
                     "samples": FIT_SAMPLES, "seed": FIT_SEED})
        logging.info("Early-exit head PSNR by resolution: %s", psnr)
    _step(outputs["mobilestylegan_heads.npz"], ir_names, make_heads, {"samples": FIT_SAMPLES, "seed": FIT_SEED})
    _step(outputs["mobilestylegan_landmarks.json"], ir_names,
          lambda out: _write_json(out, estimate_generator_landmarks(mapping, full_synthesis())),
          {"samples": FIT_SAMPLES, "seed": FIT_SEED + 1})
    return list(outputs.values())
