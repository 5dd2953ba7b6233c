// The output shapes of the ops that rearrange, cut, join or multiply tensors (Squeeze, Unsqueeze,
// Flatten, Transpose, Reshape, Gather, Concat, Slice, Split, MatMul, Gemm, Det), written once for
// every backend's kernels and the optimizer's shape inference, so they cannot disagree. Errors
// name the node and what is wrong. (Convolution and pooling windows: ops/window.h; broadcasting:
// ops/broadcast.h; Resize: ops/resize.h; the fused ops: ops/fused.h.)
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// Squeeze of `x`: the listed axes (each of size 1), or, with `axes` null, every axis of size 1.
Result<Shape> SqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>* axes);

// Unsqueeze of `x`: a 1 inserted at each of `axes` (in the output's rank; none repeated).
Result<Shape> UnsqueezeShape(const Node& node, const Shape& x, const std::vector<int64_t>& axes);

// Flatten of `x` at `axis` (in [-rank, rank]): [product of dims before, product of the rest].
Result<Shape> FlattenShape(const Node& node, const Shape& x, int64_t axis);

// Transpose's permutation for an input of `rank`: `perm` checked (a permutation of the axes,
// negative entries counted from the end) and made non-negative; empty: the axes reversed.
Result<std::vector<int64_t>> TransposePerm(const Node& node, int64_t rank,
                                           std::vector<int64_t> perm);
// Transpose of `x` by a permutation TransposePerm returned.
Shape TransposeShape(const Shape& x, const std::vector<int64_t>& perm);

// Reshape of `x` to `target`: a 0 copies x's dimension at that place (unless `allowzero`), one
// -1 is inferred, and the element count must stay the same.
Result<Shape> ReshapeShape(const Node& node, const Shape& x, Shape target, bool allowzero);

// Expand of `x` to `target` (no negative dimension): the two broadcast together.
Result<Shape> ExpandShape(const Node& node, const Shape& x, const Shape& target);

// Gather of `data` (rank >= 1) at `indices` along `axis`: data's dims before the axis, the
// indices' dims, data's dims after it.
Result<Shape> GatherShape(const Node& node, const Shape& data, const Shape& indices, int64_t axis);

// Concat of `inputs` (at least one, equal outside `axis`) along `axis`.
Result<Shape> ConcatShape(const Node& node, const std::vector<Shape>& inputs, int64_t axis);

// One sliced axis: elements start, start + step, ... (count of them).
struct SliceAxis {
  int axis = 0;
  int64_t start = 0, step = 1, count = 0;
};
// Slice of `x`: `starts` and `ends` per listed axis (empty `axes`: 0, 1, ...; empty `steps`:
// all 1), clamped as ONNX says. Axes may not repeat; steps may not be 0.
Result<std::vector<SliceAxis>> SliceAxes(const Node& node, const Shape& x,
                                         const std::vector<int64_t>& starts,
                                         const std::vector<int64_t>& ends,
                                         std::vector<int64_t> axes, std::vector<int64_t> steps);
// The shape SliceAxes' result cuts from `x`.
Shape SliceShape(const Shape& x, const std::vector<SliceAxis>& axes);

// Split of a dimension of size `dim` into `outputs` parts: by `split` when given (sizes that sum
// to dim), else by the num_outputs attribute when `num_outputs` > 0 (opset 18: equal parts of
// ceil(dim / n), the last smaller), else into equal parts that must divide dim.
Result<std::vector<int64_t>> SplitSizes(const Node& node, int64_t dim,
                                        const std::vector<int64_t>& split, int64_t outputs,
                                        int64_t num_outputs);

// MatMul of `a` and `b` with numpy semantics: 1-D operands promoted (and their dimension dropped
// from the result), the inner dimensions equal, the batch dimensions broadcast.
Result<Shape> MatMulShape(const Node& node, const Shape& a, const Shape& b);

// Gemm of 2-D `a` and `b`, each transposed when its flag is set: [M, N].
Result<Shape> GemmShape(const Node& node, const Shape& a, const Shape& b, bool trans_a,
                        bool trans_b);

// Det of `x` [..., M, M] (rank >= 2, the last two dimensions equal): x's leading dimensions.
Result<Shape> DetShape(const Node& node, const Shape& x);

}  // namespace ipfs_accelerate::engine::ops
