"""A TensorFlow.js graph model (`model.json` + `.bin`) as a TensorFlow GraphDef with its weights filled in.

    read_graph(json_path, bin_path) -> tf.compat.v1.GraphDef
    GraphFunction(graph_def, input_name, output_name)(inputs) -> outputs   (a concrete TF function)

A graph model's json holds a GraphDef in protobuf's JSON form (`modelTopology`) whose Const nodes carry no
values, and a `weightsManifest` listing those constants in the order their bytes follow each other in
the .bin files: a float32 weight with `quantization: {dtype: float16}` is stored as float16 and widened on
load, as tfjs-converter does. Only standard TF ops appear, so TensorFlow runs the graph as it is.
"""

import json
import pathlib

import numpy as np
import tensorflow as tf
from google.protobuf import json_format

from tf_reconstruct.errors import CheckpointFormatError

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16, "uint8": np.uint8}


def _weights(manifest, folder):
    """{constant name: numpy array} from the manifest groups and their .bin files."""
    values = {}
    for group in manifest:
        data = b"".join((folder / path).read_bytes() for path in group["paths"])
        offset = 0
        for spec in group["weights"]:
            quantised = spec.get("quantization", {}).get("dtype")
            stored = np.dtype(_DTYPES[quantised or spec["dtype"]])
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            chunk = np.frombuffer(data, stored, count, offset)
            offset += count * stored.itemsize
            values[spec["name"]] = chunk.astype(_DTYPES[spec["dtype"]]).reshape(spec["shape"])
        if offset != len(data):
            raise CheckpointFormatError(f"{group['paths']}: the manifest accounts for {offset} bytes of {len(data)}")
    return values


def read_graph(json_path, bin_path=None):
    """The GraphDef of a TF.js graph model with every Const node's value set."""
    json_path = pathlib.Path(json_path)
    model = json.loads(json_path.read_text())
    if model.get("format") != "graph-model":
        raise CheckpointFormatError(f"{json_path} is not a TF.js graph model (format {model.get('format')!r})")
    graph = json_format.ParseDict(model["modelTopology"], tf.compat.v1.GraphDef(), ignore_unknown_fields=True)
    folder = pathlib.Path(bin_path).parent if bin_path else json_path.parent
    values = _weights(model["weightsManifest"], folder)
    filled = set()
    for node in graph.node:
        if node.op == "Const" and node.name in values:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(values[node.name]))
            filled.add(node.name)
    missing = set(values) - filled
    if missing:
        raise CheckpointFormatError(f"{json_path}: weights {sorted(missing)[:5]} have no Const node in the graph")
    return graph


class GraphFunction:
    """A GraphDef as a callable from one input tensor to one output tensor (names with ':0')."""

    def __init__(self, graph_def, input_name, output_name):
        def imported(inputs):
            return tf.compat.v1.import_graph_def(graph_def, input_map={input_name: inputs},
                                                 return_elements=[output_name])[0]
        signature = tf.TensorSpec(None, tf.float32)
        self.function = tf.compat.v1.wrap_function(imported, [signature])

    def __call__(self, inputs):
        return self.function(tf.convert_to_tensor(inputs, tf.float32))
