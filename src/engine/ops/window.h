// Sliding windows: the output shapes of Conv (and ConvInteger, QLinearConv, NhwcConv),
// ConvTranspose and the pooling ops from their attributes, written once for the kernels and the
// optimizer's shape inference. Every size is computed with overflow-checked arithmetic; geometry
// that cannot exist is an error naming the node and the attribute, before anything is allocated.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

struct WindowGeometry {
  int nd = 0;  // spatial rank
  // Per spatial axis. ConvTranspose's pads may be negative (output_shape past the natural size)
  // and its pads_end leaves out output_padding.
  std::vector<int64_t> in, kernel, strides, dilations, pads_begin, pads_end, out;
  Shape output;  // the op's whole output: [N, C (pooling) or M (convolutions), out...]
};

// The window over spatial sizes `in`: kernel_shape (or `kernel` when the node has none), strides,
// dilations, pads and auto_pad of `node`; with `ceil_mode` the output size rounds up (pooling).
// Leaves `output` empty.
Result<WindowGeometry> SlidingWindow(const Node& node, const Shape& in, const Shape& kernel,
                                     bool ceil_mode);

// Conv, ConvInteger, QLinearConv: X [N, C, spatial...] and W [M, C/group, kernel...] give
// [N, M, out...]; kernel_shape, when given, must match W.
Result<WindowGeometry> ConvWindow(const Node& node, const Shape& x, const Shape& w);

// MaxPool, AveragePool, LpPool (kernel_shape required, ceil_mode honoured) and the Global pools
// (one window over the whole input): X [N, C, spatial...] gives [N, C, out...].
Result<WindowGeometry> PoolWindow(const Node& node, const Shape& x);

// ConvTranspose: X [N, C, spatial...] and W [C, M/group, kernel...] give [N, M, out...], the size
// from strides, dilations, output_padding and pads, or from auto_pad or output_shape.
Result<WindowGeometry> ConvTransposeWindow(const Node& node, const Shape& x, const Shape& w);

// MaxUnpool: the pooling window it inverts, from kernel_shape (required), strides and pads. X
// [N, C, in...] unpools to [N, C, out...] with out = (in - 1) * strides + kernel_shape - pads
// (begin and end): the block I's flat indices address. `output` is that block's shape, or
// `output_shape` when given (of X's rank and at least the block's size on every axis, N and C
// too): the block then sits at its start and zeros fill the rest, as in the ONNX reference.
Result<WindowGeometry> MaxUnpoolWindow(const Node& node, const Shape& x, const Shape* output_shape);

}  // namespace ipfs_accelerate::engine::ops
