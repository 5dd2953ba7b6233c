// The window geometry shared by Conv, ConvTranspose and the pooling ops: kernel, strides,
// dilations and pads per spatial axis, with auto_pad and ceil_mode resolved, written once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine::cpu {

struct WindowGeometry {
  int nd = 0;  // spatial rank
  std::vector<int64_t> in, kernel, strides, dilations, pads_begin, pads_end, out;
};

// Reads kernel_shape (or takes `kernel` when the node has none), strides, dilations, pads and
// auto_pad, and computes the output size of a sliding window over `in` (pooling when
// `ceil_mode` is set may round up). Errors name the attribute that does not fit.
Result<WindowGeometry> SlidingWindow(const KernelContext& ctx, const std::vector<int64_t>& in,
                                     const std::vector<int64_t>& kernel, bool ceil_mode);

}  // namespace ipfs_accelerate::engine::cpu
