#!/usr/bin/env python3
"""Quantizes the MatMuls of an ONNX model as onnxruntime's quantizer writes them (without its
contrib ops). Every MatMul whose B is a float32 2-D initializer gets B quantized to int8,
symmetric (zero point 0): one scale for the tensor (default, as onnxruntime's per_channel=False)
or one per column (--per-channel). Then, by mode:

  dynamic (default, as quantize_dynamic):
    x -> DynamicQuantizeLinear -> (x_q, x_scale, x_zero_point)          (one per input, shared)
    MatMulInteger(x_q, B_q, x_zero_point, B_zero_point) -> Cast(float)
    Mul(x_scale, B_scale) -> Mul(product, that)                          -> the MatMul's output

  --qdq (as quantize_static with the QDQ format):
    x -> QuantizeLinear(x_scale, x_zero_point) -> DequantizeLinear      (one per input, shared)
    B_q -> DequantizeLinear(B_scale, B_zero_point[, axis 1])
    MatMul(the two)                                                      -> the MatMul's output
    with x's range fixed at [-R, R] (--range R, default 8: scale 2R/255, zero point 128), not
    calibrated: the files are for holding runtimes to each other, not for accuracy.

Everything else is left as it is (Add of the bias, activations, attention's MatMuls of two
computed values).

  /usr/bin/python3 tools/gen_models/quantize.py MODEL.onnx OUT.onnx [--per-channel] [--qdq [--range R]]
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


def parse_args(argv):
    files, per_channel, qdq, value_range = [], False, False, 8.0
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--per-channel":
            per_channel = True
        elif a == "--qdq":
            qdq = True
        elif a == "--range" and i + 1 < len(argv):
            value_range = float(argv[i + 1])
            i += 1
        elif a.startswith("--"):
            sys.exit(__doc__)
        else:
            files.append(a)
        i += 1
    if len(files) != 2 or value_range <= 0:
        sys.exit(__doc__)
    return files, per_channel, qdq, value_range


def main():
    (src, dst), per_channel, qdq, value_range = parse_args(sys.argv[1:])
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    nodes, new_inits = [], []
    quantized_inputs = {}  # x -> its quantized form (dynamic: x_q, x_scale, x_zero_point; qdq: x_dq)
    count = 0

    def add_init(arr, name):
        if name not in inits:
            new_inits.append(numpy_helper.from_array(arr, name))
            inits[name] = new_inits[-1]

    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2:
            nodes.append(n)
            continue
        x, y, base = n.input[0], n.output[0], n.output[0] + "_q"
        wq, ws, wz = quantize_weight(numpy_helper.to_array(w).astype(np.float32), per_channel)
        names = (w.name + "_quantized", w.name + "_scale", w.name + "_zero_point")
        for arr, name in zip((wq, ws, wz), names):
            add_init(arr, name)
        if qdq:
            if x not in quantized_inputs:
                xs, xz = x + "_scale", x + "_zero_point"
                add_init(np.array(2 * value_range / 255, dtype=np.float32), xs)
                add_init(np.array(128, dtype=np.uint8), xz)
                nodes.append(helper.make_node("QuantizeLinear", [x, xs, xz], [x + "_quantized"],
                                              x + "_QuantizeLinear"))
                nodes.append(helper.make_node("DequantizeLinear", [x + "_quantized", xs, xz],
                                              [x + "_dequantized"], x + "_DequantizeLinear"))
                quantized_inputs[x] = x + "_dequantized"
            axis = {"axis": 1} if per_channel else {}
            nodes += [
                helper.make_node("DequantizeLinear", list(names), [base + "_weights"],
                                 n.name + "_weights_DequantizeLinear", **axis),
                helper.make_node("MatMul", [quantized_inputs[x], base + "_weights"], [y], n.name),
            ]
        else:
            if x not in quantized_inputs:
                q = (x + "_quantized", x + "_scale", x + "_zero_point")
                nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(q),
                                              x + "_QuantizeLinear"))
                quantized_inputs[x] = q
            xq, xs, xz = quantized_inputs[x]
            nodes += [
                helper.make_node("MatMulInteger", [xq, names[0], xz, names[2]], [base + "_int32"],
                                 n.name + "_MatMulInteger"),
                helper.make_node("Cast", [base + "_int32"], [base + "_float"], n.name + "_Cast",
                                 to=TensorProto.FLOAT),
                helper.make_node("Mul", [xs, names[1]], [base + "_scales"], n.name + "_scales_mul"),
                helper.make_node("Mul", [base + "_float", base + "_scales"], [y],
                                 n.name + "_output_mul"),
            ]
        count += 1
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    need = 13 if qdq and per_channel else 11 if not qdq else 10
    if not any(o.domain in ("", "ai.onnx") and o.version >= need for o in model.opset_import):
        sys.exit(f"quantize: the model's opset is below {need}")
    onnx.save(model, dst)
    print(f"quantize: {count} MatMuls quantized ({'QDQ' if qdq else 'dynamic'}, "
          f"{'per column' if per_channel else 'per tensor'})", file=sys.stderr)


if __name__ == "__main__":
    main()
