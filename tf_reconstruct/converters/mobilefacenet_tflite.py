"""sirius-ai MobileFaceNet TFLite file -> weight table for models/mobilefacenet.py ('mobilefacenet192').

The TFLite graph is a chain of CONV_2D / DEPTHWISE_CONV_2D ops (batch norm folded into their bias),
PReLU written as relu(x) + a * (x - |x|) (so the Keras PReLU slope is 2a), and residual ADDs.
Convs and PReLUs are matched to the Keras layers in graph order; counts, kernel shapes, strides
and the op scope names are all checked, so a file of another architecture is refused.
"""

import numpy as np
import tensorflow as tf

from tf_reconstruct.errors import CheckpointFormatError
from tf_reconstruct.models import mobilefacenet


def read_tflite_graph(path):
    """Returns (ops, tensor values by index, tensor details by index) of a TFLite file, without running it."""
    try:
        interpreter = tf.lite.Interpreter(
            model_path=str(path),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise CheckpointFormatError(f"{path} is not a readable TFLite model ({error}); re-run the fetch step") from error
    details = {tensor["index"]: tensor for tensor in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()  # pylint: disable=protected-access

    def value(index):
        return interpreter.get_tensor(index)
    return ops, value, details


def mobilefacenet192_table(path, model):
    """Weight table for a `mobilefacenet192` Keras model built by models.mobilefacenet."""
    ops, value, details = read_tflite_graph(path)
    convs = [op for op in ops if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    keras_convs = mobilefacenet.conv_layers(model)
    if len(convs) != len(keras_convs):
        raise CheckpointFormatError(f"{path}: {len(convs)} convolutions, the MobileFaceNet-192 architecture has "
                                    f"{len(keras_convs)}")
    table = {}
    for op, layer in zip(convs, keras_convs):
        kernel = value(op["inputs"][1])
        bias = value(op["inputs"][2])
        depthwise = op["op_name"] == "DEPTHWISE_CONV_2D"
        if depthwise != isinstance(layer, tf.keras.layers.DepthwiseConv2D):
            raise CheckpointFormatError(f"{path}: op {op['index']} ({op['op_name']}) does not match Keras layer "
                                        f"{layer.name}")
        in_size = details[op["inputs"][0]]["shape"][1]
        out_size = details[op["outputs"][0]]["shape"][1]
        if in_size // out_size != layer.strides[0] and out_size != 1:
            raise CheckpointFormatError(f"{path}: op {op['index']} has stride {in_size // out_size}, "
                                        f"{layer.name} has {layer.strides[0]}")
        key = "depthwise_kernel" if depthwise else "kernel"
        table[f"{layer.name}/{key}"] = kernel.transpose(1, 2, 3, 0)
        table[f"{layer.name}/bias"] = bias
    # PReLU: MUL(slope_const, x - |x|) ops, in order; the slope is the constant input.
    slopes = []
    for op in ops:
        if op["op_name"] == "MUL" and details[op["inputs"][0]]["name"].endswith("/mul"):
            slopes.append(value(op["inputs"][0]))
    keras_prelus = mobilefacenet.prelu_layers(model)
    if len(slopes) != len(keras_prelus):
        raise CheckpointFormatError(f"{path}: {len(slopes)} PReLUs, the architecture has {len(keras_prelus)}")
    for slope, layer in zip(slopes, keras_prelus):
        table[f"{layer.name}/alpha"] = (2.0 * slope).reshape(1, 1, -1).astype(np.float32)
    return table
