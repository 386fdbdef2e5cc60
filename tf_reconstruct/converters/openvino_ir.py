"""A reader for OpenVINO IR v10 files (`.xml` graph + `.bin` weights) with the standard library and numpy.

The IR is read as data only: the converters walk its graph to find which constant feeds which
operation, and never execute it. OpenVINO itself is used only by the parity tests.
"""

import dataclasses
import pathlib
import xml.etree.ElementTree as ElementTree

import numpy as np

from tf_reconstruct.errors import CheckpointFormatError

_ELEMENT_TYPES = {"f32": np.float32, "f16": np.float16, "i64": np.int64, "i32": np.int32, "u8": np.uint8}


@dataclasses.dataclass
class IrLayer:
    """One node of the IR graph.

    Attributes:
      id: the node id from the xml.
      type: the OpenVINO op type, e.g. "Convolution" or "Const".
      name: the node name; constants often carry the PyTorch parameter name.
      attributes: the node's <data> attributes.
      inputs: ids of the producing nodes, ordered by input port.
      consumers: ids of the nodes that read this node's output.
      output_shapes: one shape list per output port.
    """
    id: str
    type: str
    name: str
    attributes: dict
    inputs: list
    consumers: list
    output_shapes: list


class IrGraph:
    """The parsed graph of one IR model, with constants readable as numpy arrays."""

    def __init__(self, xml_path, bin_path=None):
        xml_path = pathlib.Path(xml_path)
        bin_path = pathlib.Path(bin_path) if bin_path else xml_path.with_suffix(".bin")
        try:
            root = ElementTree.parse(xml_path).getroot()
        except ElementTree.ParseError as error:
            raise CheckpointFormatError(f"{xml_path} is not a readable OpenVINO IR xml: {error}") from error
        if root.tag != "net" or root.get("version") != "10":
            raise CheckpointFormatError(f"{xml_path}: expected an OpenVINO IR v10 <net>, got <{root.tag} "
                                        f"version={root.get('version')}>")
        self._blob = bin_path.read_bytes()
        self.layers = {}
        for node in root.find("layers"):
            data = node.find("data")
            output = node.find("output")
            shapes = []
            if output is not None:
                shapes = [[int(dim.text) for dim in port.findall("dim")] for port in output]
            self.layers[node.get("id")] = IrLayer(
                id=node.get("id"), type=node.get("type"), name=node.get("name"),
                attributes=dict(data.attrib) if data is not None else {}, inputs=[], consumers=[],
                output_shapes=shapes)
        ports = []
        for edge in root.find("edges"):
            ports.append((edge.get("to-layer"), int(edge.get("to-port")), edge.get("from-layer")))
        for to_layer, port, from_layer in sorted(ports, key=lambda item: (int(item[0]), item[1])):
            self.layers[to_layer].inputs.append(from_layer)
            self.layers[from_layer].consumers.append(to_layer)

    def by_name(self, name):
        """Returns the unique layer called `name`."""
        found = [layer for layer in self.layers.values() if layer.name == name]
        if len(found) != 1:
            raise CheckpointFormatError(f"IR has {len(found)} layers named {name!r}, expected exactly 1")
        return found[0]

    def of_type(self, op_type):
        """Returns the layers of one op type in ascending id order (the exporter's topological order)."""
        return sorted((layer for layer in self.layers.values() if layer.type == op_type), key=lambda item: int(item.id))

    def constant(self, layer_or_id):
        """Returns the value of a Const layer as a numpy array of its declared shape."""
        layer = layer_or_id if isinstance(layer_or_id, IrLayer) else self.layers[layer_or_id]
        if layer.type != "Const":
            raise CheckpointFormatError(f"IR layer {layer.name!r} is a {layer.type}, not a Const")
        attributes = layer.attributes
        dtype = _ELEMENT_TYPES[attributes["element_type"]]
        offset, size = int(attributes["offset"]), int(attributes["size"])
        if offset + size > len(self._blob):
            raise CheckpointFormatError(f"IR constant {layer.name!r} reads past the end of the .bin file "
                                        f"({offset + size} > {len(self._blob)}): the .bin is truncated")
        shape_text = attributes.get("shape", "")
        shape = [int(dim) for dim in shape_text.split(",")] if shape_text.strip() else []
        return np.frombuffer(self._blob, dtype=dtype, count=size // np.dtype(dtype).itemsize,
                             offset=offset).reshape(shape).copy()

    def const_input(self, layer, port):
        """Returns the constant feeding input `port` of `layer` (through a Reshape of a constant, too),
        or None if that input is computed."""
        producer = self.layers[layer.inputs[port]]
        if producer.type == "Reshape" and self.layers[producer.inputs[0]].type == "Const":
            return self.constant(producer.inputs[0]).reshape(producer.output_shapes[0])
        return self.constant(producer) if producer.type == "Const" else None

    def const_input_name(self, layer, port):
        producer = self.layers[layer.inputs[port]]
        return producer.name if producer.type == "Const" else None

    def next_of_type(self, layer, op_type, max_depth=8):
        """Follows the first consumer chain from `layer` until a node of `op_type` (breadth-first)."""
        frontier, seen = [layer.id], set()
        for _ in range(max_depth):
            following = []
            for layer_id in frontier:
                for consumer in self.layers[layer_id].consumers:
                    if consumer in seen:
                        continue
                    seen.add(consumer)
                    if self.layers[consumer].type == op_type:
                        return self.layers[consumer]
                    following.append(consumer)
            frontier = following
        raise CheckpointFormatError(f"no {op_type} within {max_depth} steps after IR layer {layer.name!r}")
