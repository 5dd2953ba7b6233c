#!/usr/bin/python3
"""Checks generated models without the engine: evaluates model.onnx with a small NumPy interpreter
(only the ops the generator emits) on the stored inputs and compares with the PyTorch outputs.

It guards the test data itself: a model whose ONNX graph does not compute what PyTorch computed
(a shape baked in at trace time, an exporter bug) fails here, before anyone debugs the engine on it.
  /usr/bin/python3 tools/gen_models/check_onnx.py build/models/*_test [--tol 1e-4]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def np_dtype(onnx_type):
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def sym_pads(pads, n):
    assert list(pads[:n]) == list(pads[n:]), f"asymmetric pads {pads}"
    return list(pads[:n])


def run_node(op, a, x):
    t = lambda v: torch.from_numpy(np.array(v))  # noqa: E731 (a writable copy)
    if op in ("Add", "Sub", "Mul", "Pow", "Equal", "Where", "Not", "Relu", "Sigmoid", "Tanh", "Sin", "Cos"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal, "Where": np.where,
             "Not": np.logical_not, "Relu": lambda v: np.maximum(v, 0).astype(v.dtype),
             "Sigmoid": lambda v: (1 / (1 + np.exp(-v))).astype(v.dtype), "Tanh": np.tanh, "Sin": np.sin,
             "Cos": np.cos, "Pow": lambda b, e: np.power(b, e).astype(b.dtype)}[op]
        return [f(*x)]
    if op == "Div":
        return [x[0] / x[1] if x[0].dtype.kind == "f" else (x[0] // x[1]).astype(x[0].dtype)]
    if op == "Erf":
        return [torch.erf(t(x[0])).numpy()]
    if op == "MatMul":
        return [np.matmul(x[0], x[1])]
    if op == "Gemm":
        A = x[0].T if a.get("transA", 0) else x[0]
        B = x[1].T if a.get("transB", 0) else x[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(x) > 2:
            y = y + a.get("beta", 1.0) * x[2]
        return [y.astype(np.float32)]
    if op == "Constant":
        return [numpy_helper.to_array(a["value"])]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(x[0]), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Shape":
        return [np.array(x[0].shape[a.get("start", 0) : a.get("end", None)], dtype=np.int64)]
    if op == "Cast":
        return [x[0].astype(np_dtype(a["to"]))]
    if op == "Gather":
        axis = a.get("axis", 0)
        idx = np.where(x[1] < 0, x[1] + x[0].shape[axis], x[1])
        return [np.take(x[0], idx, axis=axis)]
    if op == "Reshape":
        shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(x[1])]
        return [x[0].reshape(shape)]
    if op == "Unsqueeze":
        return [np.expand_dims(x[0], tuple(int(v) for v in x[1]))]
    if op == "Squeeze":
        return [np.squeeze(x[0], axis=tuple(int(v) for v in x[1]))]
    if op == "Flatten":
        ax = a.get("axis", 1)
        return [x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)]
    if op == "Transpose":
        return [np.transpose(x[0], a.get("perm"))]
    if op == "Concat":
        return [np.concatenate(x, axis=a["axis"])]
    if op == "Expand":
        return [np.broadcast_to(x[0], np.broadcast_shapes(x[0].shape, tuple(x[1]))).copy()]
    if op == "Range":
        return [np.arange(x[0], x[1], x[2]).astype(x[0].dtype)]
    if op == "Slice":
        data, starts, ends = x[0], x[1], x[2]
        axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
        steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
        sl = [slice(None)] * data.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            sl[int(ax)] = slice(int(s), int(e), int(st))
        return [data[tuple(sl)]]
    if op == "Split":
        axis = a.get("axis", 0)
        sizes = list(x[1]) if len(x) > 1 and x[1] is not None else None
        if sizes is None:
            raise NotImplementedError("Split without sizes")
        return np.split(x[0], np.cumsum(sizes)[:-1], axis=axis)
    if op == "Softmax":
        return [torch.softmax(t(x[0]), dim=a.get("axis", -1)).numpy()]
    if op == "LayerNormalization":
        axis = a.get("axis", -1) % x[0].ndim
        y = F.layer_norm(t(x[0]), x[0].shape[axis:], t(x[1]), t(x[2]) if len(x) > 2 else None, a.get("epsilon", 1e-5))
        return [y.numpy()]
    if op == "InstanceNormalization":
        return [F.instance_norm(t(x[0]), weight=t(x[1]), bias=t(x[2]), eps=a.get("epsilon", 1e-5)).numpy()]
    if op in ("Conv", "ConvTranspose"):
        n = x[0].ndim - 2
        assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
        pads = sym_pads(a.get("pads", [0] * 2 * n), n)
        kw = dict(stride=a.get("strides", [1] * n), padding=pads, dilation=a.get("dilations", [1] * n),
                  groups=a.get("group", 1))
        b = t(x[2]) if len(x) > 2 else None
        if op == "Conv":
            f = {1: F.conv1d, 2: F.conv2d}[n]
            return [f(t(x[0]), t(x[1]), b, **kw).numpy()]
        f = {1: F.conv_transpose1d, 2: F.conv_transpose2d}[n]
        return [f(t(x[0]), t(x[1]), b, output_padding=a.get("output_padding", [0] * n), **kw).numpy()]
    if op == "MaxPool":
        n = x[0].ndim - 2
        y = F.max_pool2d(t(x[0]), a["kernel_shape"], a.get("strides", [1] * n), sym_pads(a.get("pads", [0] * 2 * n), n),
                         a.get("dilations", [1] * n), bool(a.get("ceil_mode", 0)))
        return [y.numpy()]
    if op == "GlobalAveragePool":
        return [x[0].mean(axis=tuple(range(2, x[0].ndim)), keepdims=True)]
    if op == "Resize":
        mode = a.get("mode", b"nearest")
        ctm = a.get("coordinate_transformation_mode", b"half_pixel")
        nm = a.get("nearest_mode", b"round_prefer_floor")
        assert (mode, ctm, nm) == (b"nearest", b"asymmetric", b"floor"), (mode, ctm, nm)
        scales = x[2] if len(x) > 2 and x[2] is not None and x[2].size else None
        if scales is None:
            scales = np.array(x[3], np.float64) / np.array(x[0].shape)
        y = x[0]
        for ax, s in enumerate(scales):
            assert float(s).is_integer(), scales
            y = np.repeat(y, int(s), axis=ax)
        return [y]
    raise NotImplementedError(op)


def evaluate(model, feeds):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    env[""] = None
    for node in model.graph.node:
        ins = [env[n] for n in node.input]
        outs = run_node(node.op_type, attrs(node), ins)
        for name, v in zip(node.output, outs):
            env[name] = np.asarray(v)
    return {o.name: env[o.name] for o in model.graph.output}


def check(d, tol):
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)
    model = onnx.load(os.path.join(d, "model.onnx"))
    feeds = {t["name"]: np.load(os.path.join(d, t["file"])) for t in m["inputs"]}
    got = evaluate(model, feeds)
    worst, ok = 0.0, True
    for t in m["outputs"]:
        ref = np.load(os.path.join(d, t["file"]))
        ours = got[t["name"]]
        if ours.shape != ref.shape or ours.dtype != ref.dtype:
            print(f"  {t['name']}: {ours.dtype}{list(ours.shape)}, want {ref.dtype}{list(ref.shape)}")
            ok = False
            continue
        err = np.linalg.norm((ours.astype(np.float64) - ref).ravel()) / max(np.linalg.norm(ref.ravel()), 1e-30)
        worst = max(worst, err)
        ok = ok and err <= tol
    return ok, worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    bad = 0
    for d in a.dirs:
        ok, worst = check(d, a.tol)
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {os.path.basename(d.rstrip('/'))}: max rel_l2 {worst:.2e}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
