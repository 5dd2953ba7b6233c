#!/usr/bin/env python3
"""Stores an ONNX model in float16, as exporters' float16 options do: float32 initializers,
Constant values, Casts to float, the graph's inputs and outputs and its value_info become float16;
the graph is otherwise unchanged. With --inputs DIR, the .npy inputs of DIR are written to OUT_DIR
as float16 too (float32 arrays only).

  /usr/bin/python3 tools/gen_models/to_float16.py MODEL.onnx OUT.onnx [--inputs DIR OUT_DIR]
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto


def to_half(t):
    if t.data_type != TensorProto.FLOAT:
        return t
    half = numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name)
    return half


def convert_graph(g):
    for i, t in enumerate(g.initializer):
        g.initializer[i].CopyFrom(to_half(t))
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
            if a.type == onnx.AttributeProto.TENSOR:
                a.t.CopyFrom(to_half(a.t))
            if a.type == onnx.AttributeProto.GRAPH:
                convert_graph(a.g)


def main():
    if len(sys.argv) not in (3, 6):
        sys.exit(__doc__)
    model = onnx.load(sys.argv[1])
    convert_graph(model.graph)
    onnx.save(model, sys.argv[2])
    if len(sys.argv) == 6 and sys.argv[3] == "--inputs":
        src, dst = sys.argv[4], sys.argv[5]
        os.makedirs(dst, exist_ok=True)
        for f in sorted(os.listdir(src)):
            a = np.load(os.path.join(src, f))
            np.save(os.path.join(dst, f), a.astype(np.float16) if a.dtype == np.float32 else a)


if __name__ == "__main__":
    main()
