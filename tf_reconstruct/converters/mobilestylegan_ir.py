"""MobileStyleGAN OpenVINO IR (from the `random-face` wheel) -> weight tables for the Keras models.

The IR was exported from PyTorch with one w for every layer (input `style` [N, 512]); its constants
keep their PyTorch names (`m.layers.3.conv2.conv.weight_dw`), except the pointwise kernels with
demodulation folded in (`Mul_*_copy`) and the noise maps already scaled by their strength. Each
is found by walking the graph from a named constant, never by position.
"""

import re

import numpy as np

from tf_reconstruct.converters.openvino_ir import IrGraph
from tf_reconstruct.errors import CheckpointFormatError

_HAAR = 1.0 / np.sqrt(2.0)


def _to_keras_name(torch_prefix):
    """'m.layers.3.conv2' -> 'layers_3_conv2'; 'm.conv1' -> 'conv1'."""
    return torch_prefix.removeprefix("m.").replace(".", "_")


def mapping_table(xml_path):
    """Weight table for models/mapping_network.py from MappingNetwork.xml/.bin."""
    graph = IrGraph(xml_path)
    table = {}
    matmuls = graph.of_type("MatMul")
    if len(matmuls) != 8:
        raise CheckpointFormatError(f"{xml_path}: expected 8 MatMul layers in the mapping network, found {len(matmuls)}")
    for index, matmul in enumerate(matmuls):
        if matmul.attributes.get("transpose_b") != "true":
            raise CheckpointFormatError(f"{xml_path}: mapping MatMul {matmul.name} is not x @ W.T")
        weight = graph.const_input(matmul, 1)
        bias_add = graph.next_of_type(matmul, "Add")
        bias = graph.const_input(bias_add, 1)
        gain_layer = graph.next_of_type(graph.next_of_type(matmul, "PReLU"), "Multiply")
        gain = graph.const_input(gain_layer, 1)
        slope = graph.const_input(graph.next_of_type(matmul, "PReLU"), 1)
        if gain is None or not np.isclose(gain.item(), np.sqrt(2.0)) or not np.isclose(slope.item(), 0.2):
            raise CheckpointFormatError(f"{xml_path}: mapping layer {index} is not lrelu(0.2) * sqrt(2)")
        table[f"mapping_dense_{index}/kernel"] = weight.T
        table[f"mapping_dense_{index}/bias"] = bias.reshape(-1)
    return table


def _modulation_scale(graph, matmul):
    """The scalar multiplying a modulation's output (1 where the module has none, as for `up`)."""
    multiply = graph.next_of_type(matmul, "Multiply")
    for port in range(2):
        value = graph.const_input(multiply, port)
        if value is not None and value.size == 1:
            return float(value.reshape(()))
    return 1.0


def _conv_chain(graph, convolution):
    """From a Convolution, the folded noise map and the bias (and the module prefix the bias names)."""
    noise, bias_name = None, None
    layer = convolution
    for _ in range(3):
        layer = graph.layers[layer.consumers[0]]
        if layer.type != "Add":
            break
        name = graph.const_input_name(layer, 1)
        value = graph.const_input(layer, 1)
        if name is not None and name.endswith(".bias"):
            bias_name = name
            bias = value
            break
        if value is not None and value.ndim == 4 and value.shape[:2] == (1, 1):
            noise = value
    if bias_name is None:
        raise CheckpointFormatError(f"no named bias after IR convolution {convolution.name}")
    return bias_name.removesuffix(".bias"), noise, bias


def synthesis_table(xml_path):
    """Weight table for models/mobile_stylegan.py (1024 px, real to_img of block 6) from SynthesisNetwork.xml."""
    graph = IrGraph(xml_path)
    table = {"input/constant": graph.constant(graph.by_name("m.input.input")).transpose(0, 2, 3, 1)}

    for layer in graph.of_type("Const"):
        match = re.fullmatch(r"(m\.(?:layers\.\d+\.)?(?:conv1|conv2|up|to_img))(?:\.conv)?\.modulation\.weight",
                             layer.name)
        if not match:
            continue
        keras_name = _to_keras_name(match.group(1))
        matmul = graph.layers[layer.consumers[0]]
        scale = _modulation_scale(graph, matmul)
        bias = graph.constant(graph.by_name(layer.name.replace(".weight", ".bias"))).reshape(-1)
        table[f"{keras_name}/modulation_kernel"] = graph.constant(layer).T * scale
        table[f"{keras_name}/modulation_bias"] = bias * scale

    for convolution in graph.of_type("Convolution"):
        prefix, noise, bias = _conv_chain(graph, convolution)
        keras_name = _to_keras_name(prefix)
        kernel = graph.const_input(convolution, 1)  # [Cout, Cin, kh, kw]
        producer = graph.layers[convolution.inputs[0]]
        if producer.type == "GroupConvolution":
            depthwise = graph.const_input(producer, 1)  # [C, 1, 1, 3, 3]
            table[f"{keras_name}/depthwise_kernel"] = depthwise[:, 0, 0].transpose(1, 2, 0)[..., None]
            table[f"{keras_name}/pointwise_kernel"] = kernel.transpose(2, 3, 1, 0)
        else:
            table[f"{keras_name}/kernel"] = kernel.transpose(2, 3, 1, 0)
        if noise is not None:
            table[f"{keras_name}/noise"] = noise.transpose(0, 2, 3, 1)
        table[f"{keras_name}/bias"] = bias.reshape(-1)

    for prelu in graph.of_type("PReLU"):
        if not np.isclose(graph.const_input(prelu, 1).item(), 0.2):
            raise CheckpointFormatError(f"{xml_path}: activation {prelu.name} is not leaky ReLU 0.2")
    for transpose in graph.of_type("GroupConvolutionBackpropData"):
        taps = np.abs(graph.const_input(transpose, 1))
        if not np.allclose(taps, _HAAR, atol=1e-6):
            raise CheckpointFormatError(f"{xml_path}: upsampling {transpose.name} is not the Haar (db1) wavelet")
    return table
