#!/usr/bin/python3
"""Writes the models and inputs of opset18_ort_test.sh into OUT_DIR: one small model per case, each
holding one operator at the opset (18 to 21) where its signature changed, as the operator documents
of those opsets describe it (this onnx, 1.12, predates them: no checker, no shape inference).

  opset18_models.py OUT_DIR [CASE...]    prints one line per case: NAME INPUT=FILE.npy...
                                         (no CASE: every case but those in PENDING)

Inputs and outputs are float32, int64, int32, uint8 or bool (what ort_outputs.js reads and writes).
"""
import os
import sys

import numpy as np
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh
import onnx

NP2TP = {np.float32: TP.FLOAT, np.int64: TP.INT64, np.int32: TP.INT32, np.uint8: TP.UINT8,
         np.bool_: TP.BOOL}
CASES = []
# Cases the engine fails (unsupported or wrong): written only when named on the command line, so
# that the test holds every case that passes and these can be rerun as support arrives. None now.
PENDING = set()


def case(fn):
    CASES.append(fn)
    return fn


class Writer:
    def __init__(self, out, only):
        self.out, self.only = out, set(only)

    def model(self, name, opset, nodes, inputs, outputs, inits=None):
        """inputs: {name: array} (graph inputs, saved as .npy); outputs: {name: TensorProto type};
        inits: {name: array} (initializers)."""
        if (self.only and name not in self.only) or (not self.only and name in PENDING):
            return
        inits = inits or {}
        vis = [h.make_tensor_value_info(n, NP2TP[a.dtype.type], a.shape) for n, a in inputs.items()]
        vos = [h.make_tensor_value_info(n, t, None) for n, t in outputs.items()]
        graph = h.make_graph(nodes, name, vis, vos, [nh.from_array(a, n) for n, a in inits.items()])
        m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
        m.ir_version = 8 if opset == 18 else 9 if opset <= 20 else 10  # no checker: 1.12 stops at 17
        onnx.save(m, os.path.join(self.out, name + ".onnx"))
        args = []
        for n, a in inputs.items():
            path = os.path.join(self.out, f"{name}.{n}.npy")
            np.save(path, a)
            args.append(f"{n}={path}")
        print(name, *args)


rng = np.random.default_rng(18)


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def i64(*v):
    return np.array(v, np.int64)


@case
def reduce_ops(w):
    x = randn(2, 3, 4, 5)
    xp = (rng.random((2, 3, 4, 5)) + 0.5).astype(np.float32)  # positive: ReduceLogSum, ReduceProd
    for op in ["ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2",
               "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ReduceSum"]:
        xin = xp if op in ("ReduceLogSum", "ReduceProd") else x
        low = op[6:].lower()
        # axes as a constant input (what exporters write), kept and dropped
        w.model(f"{low}_axes", 18, [h.make_node(op, ["x", "axes"], ["y"], keepdims=1)],
                {"x": xin}, {"y": TP.FLOAT}, {"axes": i64(1, -1)})
        w.model(f"{low}_axes_nokeep", 18, [h.make_node(op, ["x", "axes"], ["y"], keepdims=0)],
                {"x": xin}, {"y": TP.FLOAT}, {"axes": i64(0, 2)})
        # no axes: all of them
        w.model(f"{low}_noaxes", 18, [h.make_node(op, ["x"], ["y"], keepdims=0)],
                {"x": xin}, {"y": TP.FLOAT})
    # axes as a graph input, known only at run time
    w.model("reducemax_axes_runtime", 18, [h.make_node("ReduceMax", ["x", "axes"], ["y"])],
            {"x": x, "axes": i64(-2)}, {"y": TP.FLOAT})
    # an empty axes with noop_with_empty_axes: the input unchanged; without: everything reduced
    w.model("reducemean_noop_empty", 18,
            [h.make_node("ReduceMean", ["x", "axes"], ["y"], noop_with_empty_axes=1)],
            {"x": x}, {"y": TP.FLOAT}, {"axes": np.zeros(0, np.int64)})
    w.model("reducel2_empty_axes", 18, [h.make_node("ReduceL2", ["x", "axes"], ["y"])],
            {"x": x}, {"y": TP.FLOAT}, {"axes": np.zeros(0, np.int64)})
    # integer data
    xi = rng.integers(-50, 50, (3, 4, 5)).astype(np.int64)
    w.model("reducemax_int64", 18, [h.make_node("ReduceMax", ["x", "axes"], ["y"], keepdims=0)],
            {"x": xi}, {"y": TP.INT64}, {"axes": i64(1)})
    w.model("reducemin_int32", 18, [h.make_node("ReduceMin", ["x", "axes"], ["y"])],
            {"x": xi.astype(np.int32)}, {"y": TP.INT32}, {"axes": i64(2)})
    # ReduceMax/ReduceMin 20: bool
    xb = rng.random((3, 4)) > 0.5
    w.model("reducemax_bool_20", 20, [h.make_node("ReduceMax", ["x", "axes"], ["y"])],
            {"x": xb}, {"y": TP.BOOL}, {"axes": i64(1)})
    w.model("reducemax_bool_20_all", 20, [h.make_node("ReduceMax", ["x"], ["y"], keepdims=0)],
            {"x": xb}, {"y": TP.BOOL})
    w.model("reducemin_bool_20", 20, [h.make_node("ReduceMin", ["x", "axes"], ["y"], keepdims=0)],
            {"x": xb}, {"y": TP.BOOL}, {"axes": i64(0)})


@case
def pad(w):
    x = randn(1, 3, 4, 5)
    for mode in ["constant", "reflect", "edge"]:
        w.model(f"pad18_axes_{mode}", 18, [h.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode=mode)],
                {"x": x}, {"y": TP.FLOAT}, {"pads": i64(1, 2, 2, 1), "axes": i64(2, -1)})
    w.model("pad18_axes_value", 18, [h.make_node("Pad", ["x", "pads", "v", "axes"], ["y"])],
            {"x": x}, {"y": TP.FLOAT},
            {"pads": i64(1, 0, -1, 2), "v": np.array(1.5, np.float32), "axes": i64(1, 3)})
    w.model("pad19_wrap", 19, [h.make_node("Pad", ["x", "pads"], ["y"], mode="wrap")],
            {"x": x}, {"y": TP.FLOAT}, {"pads": i64(0, 0, 2, 3, 0, 1, 3, 4)})
    w.model("pad19_wrap_axes", 19, [h.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode="wrap")],
            {"x": x}, {"y": TP.FLOAT}, {"pads": i64(1, 4, -1, 2), "axes": i64(2, 3)})
    w.model("pad19_wrap_crop_start", 19, [h.make_node("Pad", ["x", "pads"], ["y"], mode="wrap")],
            {"x": x}, {"y": TP.FLOAT}, {"pads": i64(0, 0, -1, 3, 0, 0, 2, -1)})
    w.model("pad21_edge", 21, [h.make_node("Pad", ["x", "pads"], ["y"], mode="edge")],
            {"x": x}, {"y": TP.FLOAT}, {"pads": i64(0, 1, 1, 1, 0, 0, 2, 0)})


@case
def resize(w):
    x = randn(1, 2, 8, 10)
    e = np.zeros(0, np.float32)
    for mode in ["linear", "cubic"]:
        w.model(f"resize18_antialias_{mode}", 18,
                [h.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode, antialias=1)],
                {"x": x}, {"y": TP.FLOAT}, {"scales": np.array([1, 1, 0.5, 0.6], np.float32)})
    w.model("resize18_antialias_linear_up", 18,
            [h.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear", antialias=1)],
            {"x": x}, {"y": TP.FLOAT}, {"scales": np.array([1, 1, 2, 1.5], np.float32)})
    w.model("resize18_antialias_cubic_exclude", 18,
            [h.make_node("Resize", ["x", "", "scales"], ["y"], mode="cubic", antialias=1,
                         exclude_outside=1, cubic_coeff_a=-0.5)],
            {"x": x}, {"y": TP.FLOAT}, {"scales": np.array([1, 1, 0.3, 0.45], np.float32)})
    w.model("resize18_antialias_sizes_axes", 18,
            [h.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear", antialias=1,
                         axes=[3, 2], coordinate_transformation_mode="pytorch_half_pixel")],
            {"x": x}, {"y": TP.FLOAT}, {"sizes": i64(3, 5)})
    w.model("resize18_axes_scales", 18,
            [h.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear", axes=[2, 3])],
            {"x": x}, {"y": TP.FLOAT}, {"scales": np.array([1.5, 0.8], np.float32)})
    w.model("resize18_axes_sizes_nearest", 18,
            [h.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="nearest", axes=[-1])],
            {"x": x}, {"y": TP.FLOAT}, {"sizes": i64(17)})
    for policy in ["not_larger", "not_smaller"]:
        w.model(f"resize18_{policy}", 18,
                [h.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear", axes=[2, 3],
                             keep_aspect_ratio_policy=policy)],
                {"x": x}, {"y": TP.FLOAT}, {"sizes": i64(12, 12)})
    w.model("resize19_half_pixel_symmetric", 19,
            [h.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                         coordinate_transformation_mode="half_pixel_symmetric")],
            {"x": x}, {"y": TP.FLOAT}, {"scales": np.array([1, 1, 1.5, 0.75], np.float32)})
    for mode in ["cubic", "nearest"]:
        w.model(f"resize19_half_pixel_symmetric_{mode}", 19,
                [h.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode,
                             coordinate_transformation_mode="half_pixel_symmetric")],
                {"x": x}, {"y": TP.FLOAT}, {"scales": np.array([1, 1, 0.75, 1.7], np.float32)})
    w.model("resize19_nearest_roi_empty", 19,
            [h.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="nearest")],
            {"x": x}, {"y": TP.FLOAT}, {"roi": e, "scales": np.array([1, 1, 2, 2], np.float32)})


@case
def scatter(w):
    data = randn(3, 4)
    idx = np.array([[1, 0, 2, 1], [1, 1, 0, 2]], np.int64)
    upd = randn(2, 4)
    for red in ["max", "min"]:
        w.model(f"scatterelements18_{red}", 18,
                [h.make_node("ScatterElements", ["d", "i", "u"], ["y"], axis=1, reduction=red)],
                {"d": data, "i": idx[:, :3].copy(), "u": upd[:, :3].copy()}, {"y": TP.FLOAT})
        w.model(f"scatternd18_{red}", 18,
                [h.make_node("ScatterND", ["d", "i", "u"], ["y"], reduction=red)],
                {"d": data, "i": np.array([[1], [0], [1]], np.int64), "u": randn(3, 4)}, {"y": TP.FLOAT})
    w.model("scatterelements18_max_int64", 18,
            [h.make_node("ScatterElements", ["d", "i", "u"], ["y"], axis=0, reduction="max")],
            {"d": rng.integers(-9, 9, (3, 4)).astype(np.int64), "i": idx,
             "u": rng.integers(-9, 9, (2, 4)).astype(np.int64)}, {"y": TP.INT64})


@case
def pools(w):
    x = randn(1, 2, 7, 8)
    w.model("lppool18_ceil", 18,
            [h.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, p=2)],
            {"x": x}, {"y": TP.FLOAT})
    w.model("lppool18_dilations", 18,
            [h.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2], p=3)],
            {"x": x}, {"y": TP.FLOAT})
    w.model("averagepool19_dilations", 19,
            [h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 3], dilations=[2, 2])],
            {"x": x}, {"y": TP.FLOAT})
    w.model("averagepool19_dilations_pads", 19,
            [h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], dilations=[2, 1],
                         strides=[1, 2], pads=[1, 1, 1, 1], count_include_pad=1)],
            {"x": x}, {"y": TP.FLOAT})


@case
def col2im(w):
    x = randn(1, 2 * 2 * 2, 12)  # C=2, block 2x2, image 4x5 -> 3x4 blocks
    w.model("col2im18", 18, [h.make_node("Col2Im", ["x", "img", "blk"], ["y"])],
            {"x": x}, {"y": TP.FLOAT}, {"img": i64(4, 5), "blk": i64(2, 2)})
    x2 = randn(2, 1 * 3 * 3, 9)  # (5 + 2 - 3) / 2 + 1 = 3 by (6 + 2 - 3) / 2 + 1 = 3
    w.model("col2im18_strides_pads", 18,
            [h.make_node("Col2Im", ["x", "img", "blk"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1],
                         dilations=[1, 1])],
            {"x": x2}, {"y": TP.FLOAT}, {"img": i64(5, 6), "blk": i64(3, 3)})
    x3 = randn(1, 3 * 2 * 2, 6)  # dilations 2: blocks span 3; 5 x 6 image -> 3 x 2 at stride 1, 2
    w.model("col2im18_dilations", 18,
            [h.make_node("Col2Im", ["x", "img", "blk"], ["y"], dilations=[2, 2], strides=[1, 2])],
            {"x": x3}, {"y": TP.FLOAT}, {"img": i64(5, 6), "blk": i64(2, 2)})


@case
def groupnorm(w):
    x = randn(2, 6, 4, 3)
    w.model("groupnorm18", 18,
            [h.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3, epsilon=1e-5)],
            {"x": x}, {"y": TP.FLOAT}, {"s": randn(3), "b": randn(3)})
    w.model("groupnorm21", 21,
            [h.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
            {"x": x}, {"y": TP.FLOAT}, {"s": randn(6), "b": randn(6)})
    w.model("groupnorm21_1d", 21,
            [h.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=3, epsilon=1e-3)],
            {"x": randn(3, 6, 7)}, {"y": TP.FLOAT}, {"s": randn(6), "b": randn(6)})


@case
def centercroppad(w):
    x = randn(5, 6, 3)
    w.model("centercroppad18", 18, [h.make_node("CenterCropPad", ["x", "shape"], ["y"])],
            {"x": x}, {"y": TP.FLOAT}, {"shape": i64(3, 9, 3)})
    w.model("centercroppad18_axes", 18,
            [h.make_node("CenterCropPad", ["x", "shape"], ["y"], axes=[0, -2])],
            {"x": x}, {"y": TP.FLOAT}, {"shape": i64(8, 3)})
    w.model("centercroppad18_int64", 18, [h.make_node("CenterCropPad", ["x", "shape"], ["y"])],
            {"x": rng.integers(-100, 100, (4, 7)).astype(np.int64)}, {"y": TP.INT64},
            {"shape": i64(7, 2)})


@case
def elementwise(w):
    x = randn(3, 7) * 3
    w.model("mish18", 18, [h.make_node("Mish", ["x"], ["y"])], {"x": x}, {"y": TP.FLOAT})
    a = rng.integers(-1000, 1000, (3, 4)).astype(np.int32)
    b = rng.integers(-1000, 1000, (4,)).astype(np.int32)
    for op in ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]:
        w.model(f"{op.lower()}18", 18, [h.make_node(op, ["a", "b"], ["y"])],
                {"a": a, "b": b}, {"y": TP.INT32})
    w.model("bitwisenot18", 18, [h.make_node("BitwiseNot", ["a"], ["y"])], {"a": a}, {"y": TP.INT32})
    w.model("bitwiseand18_uint8", 18, [h.make_node("BitwiseAnd", ["a", "b"], ["y"])],
            {"a": rng.integers(0, 256, (5,)).astype(np.uint8),
             "b": rng.integers(0, 256, (5,)).astype(np.uint8)}, {"y": TP.UINT8})
    for approx in ["none", "tanh"]:
        w.model(f"gelu20_{approx}", 20, [h.make_node("Gelu", ["x"], ["y"], approximate=approx)],
                {"x": x}, {"y": TP.FLOAT})


@case
def casts(w):
    x = (randn(4, 5) * 300).astype(np.float32)
    w.model("cast19_int32", 19, [h.make_node("Cast", ["x"], ["y"], to=TP.INT32)], {"x": x}, {"y": TP.INT32})
    w.model("cast19_saturate_int64", 19,
            [h.make_node("Cast", ["x"], ["y"], to=TP.INT64, saturate=1)], {"x": x}, {"y": TP.INT64})
    w.model("cast21_int64_float", 21, [h.make_node("Cast", ["x"], ["y"], to=TP.FLOAT)],
            {"x": rng.integers(-10 ** 6, 10 ** 6, (6,)).astype(np.int64)}, {"y": TP.FLOAT})
    w.model("castlike19", 19, [h.make_node("CastLike", ["x", "t"], ["y"])],
            {"x": x, "t": np.zeros(1, np.int64)}, {"y": TP.INT64})
    w.model("castlike21_bool", 21, [h.make_node("CastLike", ["x", "t"], ["y"])],
            {"x": np.array([0, 1.5, -2, 0], np.float32), "t": np.zeros(1, np.bool_)}, {"y": TP.BOOL})


@case
def constant_of_shape(w):
    s = i64(2, 3)
    w.model("constantofshape20_float", 20,
            [h.make_node("ConstantOfShape", ["s"], ["y"], value=nh.from_array(np.array([2.5], np.float32)))],
            {"s": s}, {"y": TP.FLOAT})
    w.model("constantofshape20_int64", 20,
            [h.make_node("ConstantOfShape", ["s"], ["y"], value=nh.from_array(np.array([7], np.int64)))],
            {"s": s}, {"y": TP.INT64})
    w.model("constantofshape21_default", 21, [h.make_node("ConstantOfShape", ["s"], ["y"])],
            {"s": s}, {"y": TP.FLOAT})


@case
def affine_grid(w):
    theta = randn(2, 2, 3)
    for ac in [0, 1]:
        w.model(f"affinegrid20_2d_align{ac}", 20,
                [h.make_node("AffineGrid", ["theta", "size"], ["y"], align_corners=ac)],
                {"theta": theta}, {"y": TP.FLOAT}, {"size": i64(2, 3, 4, 5)})
    w.model("affinegrid20_3d", 20, [h.make_node("AffineGrid", ["theta", "size"], ["y"])],
            {"theta": randn(2, 3, 4)}, {"y": TP.FLOAT}, {"size": i64(2, 1, 3, 4, 5)})
    w.model("affinegrid20_3d_align1", 20,
            [h.make_node("AffineGrid", ["theta", "size"], ["y"], align_corners=1)],
            {"theta": randn(1, 3, 4)}, {"y": TP.FLOAT}, {"size": i64(1, 2, 2, 3, 6)})


@case
def split(w):
    x = randn(7, 4)
    w.model("split18_num_outputs", 18, [h.make_node("Split", ["x"], ["a", "b", "c"], num_outputs=3)],
            {"x": x}, {"a": TP.FLOAT, "b": TP.FLOAT, "c": TP.FLOAT})
    w.model("split18_num_outputs_axis1", 18,
            [h.make_node("Split", ["x"], ["a", "b"], axis=1, num_outputs=2)],
            {"x": x}, {"a": TP.FLOAT, "b": TP.FLOAT})


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    w = Writer(out, sys.argv[2:])
    for fn in CASES:
        fn(w)


if __name__ == "__main__":
    main()
