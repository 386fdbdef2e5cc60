"""MobileFaceNet-512 ONNX file (faceplugin) -> weight table for models/mobilefacenet.py ('mobilefacenet512').

Read with the `onnx` package only (onnxruntime is the parity reference in the tests). Conv nodes
(batch norm folded) and PRelu nodes are matched to the Keras layers in graph order, with counts,
kernel shapes, groups and strides checked.
"""

import numpy as np
import onnx
from onnx import numpy_helper

from tf_reconstruct.errors import CheckpointFormatError
from tf_reconstruct.models import mobilefacenet


def mobilefacenet512_table(path, model):
    """Weight table for a `mobilefacenet512` Keras model built by models.mobilefacenet."""
    try:
        graph = onnx.load(str(path)).graph
    except Exception as error:  # onnx raises DecodeError and others for corrupt files
        raise CheckpointFormatError(f"{path} is not a readable ONNX model ({error}); re-run the fetch step") from error
    initializers = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    convs = [node for node in graph.node if node.op_type == "Conv"]
    prelus = [node for node in graph.node if node.op_type == "PRelu"]
    keras_convs = mobilefacenet.conv_layers(model)
    keras_prelus = mobilefacenet.prelu_layers(model)
    if len(convs) != len(keras_convs) or len(prelus) != len(keras_prelus):
        raise CheckpointFormatError(f"{path}: {len(convs)} convs and {len(prelus)} PReLUs; the MobileFaceNet-512 "
                                    f"architecture has {len(keras_convs)} and {len(keras_prelus)}")
    table = {}
    for node, layer in zip(convs, keras_convs):
        attributes = {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute}
        kernel, bias = initializers[node.input[1]], initializers[node.input[2]]
        depthwise = attributes.get("group", 1) > 1
        if depthwise != isinstance(layer, mobilefacenet.keras.layers.DepthwiseConv2D):
            raise CheckpointFormatError(f"{path}: node {node.name} (group {attributes.get('group')}) does not "
                                        f"match Keras layer {layer.name}")
        if tuple(attributes["strides"]) != tuple(layer.strides):
            raise CheckpointFormatError(f"{path}: node {node.name} strides {attributes['strides']} != "
                                        f"{layer.name} strides {layer.strides}")
        if depthwise:
            table[f"{layer.name}/depthwise_kernel"] = kernel.transpose(2, 3, 0, 1)
        else:
            table[f"{layer.name}/kernel"] = kernel.transpose(2, 3, 1, 0)
        table[f"{layer.name}/bias"] = bias
    for node, layer in zip(prelus, keras_prelus):
        table[f"{layer.name}/alpha"] = initializers[node.input[1]].reshape(1, 1, -1).astype(np.float32)
    return table
