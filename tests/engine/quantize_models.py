#!/usr/bin/python3
"""Writes the models and inputs of quantize_ort_test.sh into OUT_DIR:

  qdq.onnx     (opset 13) QuantizeLinear/DequantizeLinear pairs as onnxruntime's QDQ quantizer
               writes them: per tensor uint8, per axis int8 on the channel axis; x holds exact ties
  blocked.onnx (opset 21) blocked int16 along a middle axis and uint8 along the last (a short last
               block each), per-axis uint16, and output_dtype int8 without a zero point
  dynamic.onnx (opset 13) DynamicQuantizeLinear + MatMulInteger + Cast + Mul as quantize_dynamic
               writes a MatMul with int8 weights

  quantize_models.py OUT_DIR     prints one line per model: NAME INPUT=FILE.npy
Outputs are float32 or uint8 only (what the .npy writer of ort_outputs.js takes).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh


def vi(name, dtype, shape):
    return h.make_tensor_value_info(name, dtype, shape)


def save(path, nodes, inputs, outputs, inits, opset):
    graph = h.make_graph(nodes, os.path.basename(path), inputs, outputs, inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    model.ir_version = 7 if opset <= 15 else 10  # this onnx (1.12) predates opset 21: no checker
    onnx.save(model, path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    init = lambda a, n: nh.from_array(a, n)

    # QDQ, opset 13: [2, 64, 40, 40] activations, 204800 values (split at 4 threads).
    shape = (2, 64, 40, 40)
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    x.flat[:1000] = (np.arange(1000) - 500).astype(np.float32) * 0.5 * 0.0625  # ties of scale 0.0625
    np.save(os.path.join(out, "x.npy"), x)
    save(os.path.join(out, "qdq.onnx"), [
        h.make_node("QuantizeLinear", ["x", "s", "z"], ["q1"]),
        h.make_node("DequantizeLinear", ["q1", "s", "z"], ["d1"]),
        h.make_node("QuantizeLinear", ["x", "sc", "zc"], ["q2"], axis=1),
        h.make_node("DequantizeLinear", ["q2", "sc", "zc"], ["d2"], axis=1),
    ], [vi("x", TP.FLOAT, shape)],
        [vi("q1", TP.UINT8, shape), vi("d1", TP.FLOAT, shape), vi("d2", TP.FLOAT, shape)],
        [init(np.array(0.0625, np.float32), "s"), init(np.array(131, np.uint8), "z"),
         init((rng.random(64) * 0.1 + 0.01).astype(np.float32), "sc"),
         init(rng.integers(-20, 20, 64).astype(np.int8), "zc")], 13)
    print(f"qdq x={os.path.join(out, 'x.npy')}")

    # Blocked and 16-bit, opset 21: [16, 100, 96], blocks of 32 (100 = 3 * 32 + 4, 96 = 3 * 32).
    shape = (16, 100, 96)
    xb = (rng.standard_normal(shape) * 4).astype(np.float32)
    np.save(os.path.join(out, "xb.npy"), xb)
    s1 = (rng.random((16, 4, 96)) * 0.01 + 0.001).astype(np.float32)
    z1 = rng.integers(-3000, 3000, (16, 4, 96)).astype(np.int16)
    s2 = (rng.random((16, 100, 3)) * 0.05 + 0.01).astype(np.float32)
    z2 = rng.integers(0, 255, (16, 100, 3)).astype(np.uint8)
    s3 = (rng.random(96) * 0.05 + 0.01).astype(np.float32)
    z3 = rng.integers(0, 60000, 96).astype(np.uint16)
    save(os.path.join(out, "blocked.onnx"), [
        h.make_node("QuantizeLinear", ["x", "s1", "z1"], ["q1"], axis=1, block_size=32),
        h.make_node("DequantizeLinear", ["q1", "s1", "z1"], ["d1"], axis=1, block_size=32),
        h.make_node("QuantizeLinear", ["x", "s2", "z2"], ["q2"], axis=-1, block_size=32),
        h.make_node("DequantizeLinear", ["q2", "s2", "z2"], ["d2"], axis=-1, block_size=32),
        h.make_node("QuantizeLinear", ["x", "s3", "z3"], ["q3"], axis=2),
        h.make_node("DequantizeLinear", ["q3", "s3", "z3"], ["d3"], axis=2),
        h.make_node("QuantizeLinear", ["x", "s4"], ["q4"], output_dtype=TP.INT8),
        h.make_node("DequantizeLinear", ["q4", "s4"], ["d4"]),
    ], [vi("x", TP.FLOAT, shape)],
        [vi("q2", TP.UINT8, shape)] + [vi(f"d{i}", TP.FLOAT, shape) for i in range(1, 5)],
        [init(s1, "s1"), init(z1, "z1"), init(s2, "s2"), init(z2, "z2"), init(s3, "s3"),
         init(z3, "z3"), init(np.array(0.03, np.float32), "s4")], 21)
    print(f"blocked x={os.path.join(out, 'xb.npy')}")

    # Dynamic quantization of a [1, 32, 256] x [256, 512] MatMul with int8 weights.
    a = rng.standard_normal((1, 32, 256)).astype(np.float32)
    np.save(os.path.join(out, "a.npy"), a)
    save(os.path.join(out, "dynamic.onnx"), [
        h.make_node("DynamicQuantizeLinear", ["a"], ["aq", "as", "az"]),
        h.make_node("MatMulInteger", ["aq", "w", "az", "wz"], ["acc"]),
        h.make_node("Mul", ["as", "ws"], ["scale"]),
        h.make_node("Cast", ["acc"], ["accf"], to=TP.FLOAT),
        h.make_node("Mul", ["accf", "scale"], ["y"]),
    ], [vi("a", TP.FLOAT, (1, 32, 256))],
        [vi("y", TP.FLOAT, (1, 32, 512)), vi("aq", TP.UINT8, (1, 32, 256)), vi("as", TP.FLOAT, []),
         vi("az", TP.UINT8, [])],
        [init(rng.integers(-127, 127, (256, 512)).astype(np.int8), "w"),
         init(np.array(0.01, np.float32), "ws"), init(np.array(0, np.int8), "wz")], 13)
    print(f"dynamic a={os.path.join(out, 'a.npy')}")


if __name__ == "__main__":
    main()
