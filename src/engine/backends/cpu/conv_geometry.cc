#include "engine/backends/cpu/conv_geometry.h"

namespace ipfs_accelerate::engine::cpu {

namespace {
std::string Join(const std::vector<int64_t>& v) { return ShapeToString(v); }
}  // namespace

Result<WindowGeometry> SlidingWindow(const KernelContext& ctx, const std::vector<int64_t>& in,
                                     const std::vector<int64_t>& kernel, bool ceil_mode) {
  WindowGeometry g;
  g.nd = static_cast<int>(in.size());
  size_t nd = in.size();
  g.in = in;
  g.kernel = ctx.GetInts("kernel_shape", kernel);
  if (g.kernel.size() != nd) {
    return ctx.Error("kernel_shape " + Join(g.kernel) + " does not match " + std::to_string(nd) +
                     " spatial dims");
  }
  g.strides = ctx.GetInts("strides", std::vector<int64_t>(nd, 1));
  g.dilations = ctx.GetInts("dilations", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> pads = ctx.GetInts("pads", std::vector<int64_t>(2 * nd, 0));
  if (g.strides.size() != nd || g.dilations.size() != nd || pads.size() != 2 * nd) {
    return ctx.Error("strides " + Join(g.strides) + ", dilations " + Join(g.dilations) +
                     " or pads " + Join(pads) + " do not match " + std::to_string(nd) +
                     " spatial dims");
  }
  std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  g.pads_begin.assign(pads.begin(), pads.begin() + nd);
  g.pads_end.assign(pads.begin() + nd, pads.end());
  g.out.resize(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (g.kernel[i] < 1 || g.strides[i] < 1 || g.dilations[i] < 1 || g.pads_begin[i] < 0 ||
        g.pads_end[i] < 0) {
      return ctx.Error(
          "kernel_shape, strides and dilations must be positive and pads non-negative");
    }
    int64_t span = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.out[i] = (in[i] + g.strides[i] - 1) / g.strides[i];
      int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * g.strides[i] + span - in[i]);
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pads_end[i] = total - g.pads_begin[i];
      continue;
    }
    if (auto_pad == "VALID") {
      g.pads_begin[i] = g.pads_end[i] = 0;
    } else if (auto_pad != "NOTSET") {
      return ctx.Error("unknown auto_pad '" + auto_pad + "'");
    }
    int64_t room = in[i] + g.pads_begin[i] + g.pads_end[i] - span;
    if (room < 0) {
      return ctx.Error("window of size " + std::to_string(span) +
                       " is larger than the padded input (" +
                       std::to_string(in[i] + g.pads_begin[i] + g.pads_end[i]) +
                       ") on spatial axis " + std::to_string(i));
    }
    g.out[i] = (ceil_mode ? (room + g.strides[i] - 1) / g.strides[i] : room / g.strides[i]) + 1;
    // A window that would start inside the end padding is dropped (as ONNX Runtime and PyTorch do).
    if (ceil_mode && (g.out[i] - 1) * g.strides[i] >= in[i] + g.pads_begin[i]) --g.out[i];
  }
  return g;
}

}  // namespace ipfs_accelerate::engine::cpu
