#!/usr/bin/env python3
"""Quantizes an ONNX model dynamically, as onnxruntime's quantize_dynamic writes it (its default
MatMul path, without the contrib ops): every MatMul whose B is a float32 2-D initializer becomes

    x -> DynamicQuantizeLinear -> (x_q, x_scale, x_zero_point)   (one per input, shared)
    MatMulInteger(x_q, B_q, x_zero_point, B_zero_point) -> Cast(float)
    Mul(x_scale, B_scale) -> Mul(product, that)                   -> the MatMul's output

with B quantized to int8, symmetric (zero point 0): one scale for the tensor (default, as
onnxruntime's per_channel=False) or one per column (--per-channel). Everything else is left as
it is (Add of the bias, activations, attention's MatMuls of two computed values).

  /usr/bin/python3 tools/gen_models/quantize_dynamic.py MODEL.onnx OUT.onnx [--per-channel]
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def quantize_weight(w, per_channel):
    axis_max = np.abs(w).max(axis=0) if per_channel else np.array(np.abs(w).max())
    scale = np.where(axis_max > 0, axis_max / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale, np.zeros(scale.shape, dtype=np.int8)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2 or any(a not in ("--per-channel",) for a in sys.argv[1:] if a.startswith("--")):
        sys.exit(__doc__)
    per_channel = "--per-channel" in sys.argv
    model = onnx.load(args[0])
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    nodes, new_inits = [], []
    quantized_inputs = {}  # x -> (x_q, x_scale, x_zero_point)
    count = 0
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2:
            nodes.append(n)
            continue
        x, y, base = n.input[0], n.output[0], n.output[0] + "_q"
        if x not in quantized_inputs:
            q = (x + "_quantized", x + "_scale", x + "_zero_point")
            nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(q), x + "_QuantizeLinear"))
            quantized_inputs[x] = q
        xq, xs, xz = quantized_inputs[x]
        wq, ws, wz = quantize_weight(numpy_helper.to_array(w).astype(np.float32), per_channel)
        names = (w.name + "_quantized", w.name + "_scale", w.name + "_zero_point")
        if names[0] not in inits:
            for arr, name in zip((wq, ws, wz), names):
                new_inits.append(numpy_helper.from_array(arr, name))
                inits[name] = new_inits[-1]
        nodes += [
            helper.make_node("MatMulInteger", [xq, names[0], xz, names[2]], [base + "_int32"],
                             n.name + "_MatMulInteger"),
            helper.make_node("Cast", [base + "_int32"], [base + "_float"], n.name + "_Cast",
                             to=TensorProto.FLOAT),
            helper.make_node("Mul", [xs, names[1]], [base + "_scales"], n.name + "_scales_mul"),
            helper.make_node("Mul", [base + "_float", base + "_scales"], [y], n.name + "_output_mul"),
        ]
        count += 1
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    used = {i for n in g.node for i in n.input}
    keep = [t for t in g.initializer if t.name in used or t.name in {i.name for i in g.output}]
    del g.initializer[:]
    g.initializer.extend(keep)
    if not any(o.domain in ("", "ai.onnx") and o.version >= 11 for o in model.opset_import):
        sys.exit("quantize_dynamic: the model's opset is below 11 (DynamicQuantizeLinear)")
    onnx.save(model, args[1])
    print(f"quantize_dynamic: {count} MatMuls quantized ({'per column' if per_channel else 'per tensor'})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
