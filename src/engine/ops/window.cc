#include "engine/ops/window.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace ipfs_accelerate::engine::ops {
namespace {

// An attribute's integers, or `fallback` when the node has none (or an empty list).
std::vector<int64_t> IntsAttr(const Node& n, const char* key, std::vector<int64_t> fallback) {
  const Attribute* a = n.attr(key);
  return a && !a->ints.empty() ? a->ints : fallback;
}

int64_t IntAttr(const Node& n, const char* key, int64_t fallback) {
  const Attribute* a = n.attr(key);
  return a ? a->i : fallback;
}

std::string AutoPad(const Node& n) {
  const Attribute* a = n.attr("auto_pad");
  return a && !a->s.empty() ? a->s : "NOTSET";
}

Status Error(const Node& n, const std::string& message) {
  return Status::InvalidArgument(n.Describe() + ": " + message);
}

std::string S(const std::vector<int64_t>& v) { return ShapeToString(v); }
std::string OnAxis(size_t i) { return " on spatial axis " + std::to_string(i); }

// Checks that `values` has `size` entries, all at least `min`.
Status CheckList(const Node& n, const char* name, const std::vector<int64_t>& values, size_t size,
                 int64_t min, size_t nd) {
  if (values.size() != size) {
    return Error(n, std::string(name) + " " + S(values) + " does not match " + std::to_string(nd) +
                        " spatial dims (wants " + std::to_string(size) + " values)");
  }
  for (int64_t v : values) {
    if (v < min) {
      return Error(n, std::string(name) + " " + S(values) +
                          (min > 0 ? " must be positive" : " must not be negative"));
    }
  }
  return Status::Ok();
}

// g.output = [batch, channels, g.out...], refusing an element count past 64 bits; `from` names
// the attributes that set the size.
Status SetOutput(const Node& n, WindowGeometry& g, int64_t batch, int64_t channels,
                 const std::string& from) {
  g.output = {batch, channels};
  g.output.insert(g.output.end(), g.out.begin(), g.out.end());
  if (std::find(g.output.begin(), g.output.end(), 0) != g.output.end()) return Status::Ok();
  int64_t count = 1;
  for (int64_t d : g.output) {
    if (__builtin_mul_overflow(count, d, &count)) {
      return Error(n, "output shape " + S(g.output) +
                          " has more elements than a 64-bit count holds (" + from + ")");
    }
  }
  return Status::Ok();
}

// (kernel - 1) * dilation + 1, or an error naming both.
Result<int64_t> Span(const Node& n, const WindowGeometry& g, size_t i) {
  int64_t span;
  if (__builtin_mul_overflow(g.kernel[i] - 1, g.dilations[i], &span) ||
      __builtin_add_overflow(span, 1, &span)) {
    return Error(n, "kernel_shape " + S(g.kernel) + " with dilations " + S(g.dilations) +
                        " spans more than a 64-bit size holds" + OnAxis(i));
  }
  return span;
}

int64_t FloorDiv2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

}  // namespace

Result<WindowGeometry> SlidingWindow(const Node& n, const Shape& in, const Shape& kernel,
                                     bool ceil_mode) {
  WindowGeometry g;
  size_t nd = in.size();
  g.nd = static_cast<int>(nd);
  g.in = in;
  g.kernel = IntsAttr(n, "kernel_shape", kernel);
  g.strides = IntsAttr(n, "strides", std::vector<int64_t>(nd, 1));
  g.dilations = IntsAttr(n, "dilations", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> pads = IntsAttr(n, "pads", std::vector<int64_t>(2 * nd, 0));
  IA_RETURN_IF_ERROR(CheckList(n, "kernel_shape", g.kernel, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "strides", g.strides, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "dilations", g.dilations, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "pads", pads, 2 * nd, 0, nd));
  std::string auto_pad = AutoPad(n);
  bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "VALID" && auto_pad != "NOTSET")
    return Error(n, "unknown auto_pad '" + auto_pad + "'");
  g.pads_begin.assign(pads.begin(), pads.begin() + nd);
  g.pads_end.assign(pads.begin() + nd, pads.end());
  if (auto_pad == "VALID") {
    std::fill(g.pads_begin.begin(), g.pads_begin.end(), 0);
    std::fill(g.pads_end.begin(), g.pads_end.end(), 0);
  }
  g.out.resize(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (in[i] < 0) return Error(n, "input size " + S(in) + " is negative" + OnAxis(i));
    IA_ASSIGN_OR_RETURN(int64_t span, Span(n, g, i));
    int64_t stride = g.strides[i];
    if (same) {
      int64_t out = in[i] / stride + (in[i] % stride != 0 ? 1 : 0);
      // (out - 1) * stride < in, so only adding the span can overflow.
      int64_t reach;
      if (__builtin_add_overflow(out > 0 ? (out - 1) * stride : 0, span, &reach)) {
        return Error(n, "kernel_shape " + S(g.kernel) + " with dilations " + S(g.dilations) +
                            " and strides " + S(g.strides) +
                            " reach past a 64-bit size with auto_pad " + auto_pad + OnAxis(i));
      }
      int64_t total = std::max<int64_t>(0, reach - in[i]);
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pads_end[i] = total - g.pads_begin[i];
      g.out[i] = out;
      continue;
    }
    int64_t padded;
    if (__builtin_add_overflow(in[i], g.pads_begin[i], &padded) ||
        __builtin_add_overflow(padded, g.pads_end[i], &padded)) {
      return Error(n, "pads " + S(pads) + " make the padded input larger than a 64-bit size holds" +
                          OnAxis(i));
    }
    int64_t room = padded - span;  // span >= 1, so out below cannot overflow
    if (room < 0) {
      return Error(n, "window of size " + std::to_string(span) + " (kernel_shape " + S(g.kernel) +
                          ", dilations " + S(g.dilations) + ") is larger than the padded input (" +
                          std::to_string(padded) + ")" + OnAxis(i));
    }
    int64_t out = room / stride + 1;
    if (ceil_mode && room % stride != 0) {
      ++out;
      // A window that would start inside the end padding is dropped (as ONNX Runtime and
      // PyTorch do).
      int64_t last_start;
      if (__builtin_mul_overflow(out - 1, stride, &last_start) ||
          last_start >= in[i] + g.pads_begin[i]) {
        --out;
      }
    }
    g.out[i] = out;
  }
  return g;
}

Result<WindowGeometry> ConvWindow(const Node& n, const Shape& x, const Shape& w) {
  if (x.size() < 3 || w.size() != x.size()) {
    return Error(
        n, "X must be [N, C, spatial...] and W of the same rank, got X " + S(x) + " and W " + S(w));
  }
  int64_t group = IntAttr(n, "group", 1);
  if (group < 1 || x[1] % group != 0 || w[0] % group != 0) {
    return Error(n, "group " + std::to_string(group) + " does not divide channels " +
                        std::to_string(x[1]) + " and filters " + std::to_string(w[0]));
  }
  if (w[1] != x[1] / group) {
    return Error(
        n, "input has " + std::to_string(x[1]) + " channels but W " + S(w) + " with group " +
               std::to_string(group) + " expects " +
               (w[1] > INT64_MAX / group ? std::string("more") : std::to_string(w[1] * group)));
  }
  Shape in(x.begin() + 2, x.end()), k(w.begin() + 2, w.end());
  IA_ASSIGN_OR_RETURN(WindowGeometry g, SlidingWindow(n, in, k, false));
  if (g.kernel != k) return Error(n, "kernel_shape " + S(g.kernel) + " differs from W " + S(w));
  IA_RETURN_IF_ERROR(SetOutput(n, g, x[0], w[0],
                               "pads " + S(IntsAttr(n, "pads", {})) + ", strides " + S(g.strides) +
                                   ", dilations " + S(g.dilations)));
  return g;
}

Result<WindowGeometry> PoolWindow(const Node& n, const Shape& x) {
  if (x.size() < 3) return Error(n, "X must be [N, C, spatial...], got " + S(x));
  Shape in(x.begin() + 2, x.end());
  WindowGeometry g;
  std::string_view op = n.op_type;
  if (op.starts_with("Global") || op.starts_with("NhwcGlobal")) {
    size_t nd = in.size();
    g.nd = static_cast<int>(nd);
    g.in = in;
    g.kernel = in;
    g.strides.assign(nd, 1);
    g.dilations.assign(nd, 1);
    g.pads_begin.assign(nd, 0);
    g.pads_end.assign(nd, 0);
    g.out.assign(nd, 1);
  } else {
    if (!n.attr("kernel_shape")) return Error(n, "kernel_shape is required");
    IA_ASSIGN_OR_RETURN(g, SlidingWindow(n, in, {}, IntAttr(n, "ceil_mode", 0) != 0));
  }
  IA_RETURN_IF_ERROR(SetOutput(n, g, x[0], x[1],
                               "pads " + S(IntsAttr(n, "pads", {})) + ", strides " + S(g.strides)));
  return g;
}

Result<WindowGeometry> ConvTransposeWindow(const Node& n, const Shape& x, const Shape& w) {
  if (x.size() < 3 || w.size() != x.size()) {
    return Error(
        n, "X must be [N, C, spatial...] and W of the same rank, got X " + S(x) + " and W " + S(w));
  }
  int64_t group = IntAttr(n, "group", 1);
  if (group < 1 || x[1] % group != 0 || w[0] != x[1]) {
    return Error(n, "input has " + std::to_string(x[1]) + " channels but W " + S(w) +
                        " with group " + std::to_string(group) + " expects " +
                        std::to_string(w[0]));
  }
  int64_t m;
  if (__builtin_mul_overflow(w[1], group, &m))
    return Error(n, "W " + S(w) + " with group " + std::to_string(group) + " has too many filters");
  size_t nd = x.size() - 2;
  WindowGeometry g;
  g.nd = static_cast<int>(nd);
  g.in.assign(x.begin() + 2, x.end());
  g.kernel = IntsAttr(n, "kernel_shape", Shape(w.begin() + 2, w.end()));
  g.strides = IntsAttr(n, "strides", std::vector<int64_t>(nd, 1));
  g.dilations = IntsAttr(n, "dilations", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> out_pad = IntsAttr(n, "output_padding", std::vector<int64_t>(nd, 0));
  std::vector<int64_t> pads = IntsAttr(n, "pads", std::vector<int64_t>(2 * nd, 0));
  std::vector<int64_t> out_shape = IntsAttr(n, "output_shape", {});
  IA_RETURN_IF_ERROR(CheckList(n, "kernel_shape", g.kernel, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "strides", g.strides, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "dilations", g.dilations, nd, 1, nd));
  if (g.kernel != Shape(w.begin() + 2, w.end()))
    return Error(n, "kernel_shape " + S(g.kernel) + " differs from W " + S(w));
  IA_RETURN_IF_ERROR(CheckList(n, "output_padding", out_pad, nd, 0, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "pads", pads, 2 * nd, 0, nd));
  if (out_shape.size() == nd + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty()) IA_RETURN_IF_ERROR(CheckList(n, "output_shape", out_shape, nd, 0, nd));
  std::string auto_pad = AutoPad(n);
  bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "VALID" && auto_pad != "NOTSET")
    return Error(n, "unknown auto_pad '" + auto_pad + "'");
  g.pads_begin.resize(nd);
  g.pads_end.resize(nd);
  g.out.resize(nd);
  for (size_t i = 0; i < nd; ++i) {
    int64_t in = g.in[i];
    IA_ASSIGN_OR_RETURN(int64_t span, Span(n, g, i));
    // natural = strides * (in - 1) + output_padding + span, one named step at a time.
    int64_t natural;
    if (__builtin_mul_overflow(g.strides[i], in - 1, &natural)) {
      return Error(n, "strides " + S(g.strides) +
                          " make the output larger than a 64-bit size holds" + OnAxis(i));
    }
    if (__builtin_add_overflow(natural, out_pad[i], &natural)) {
      return Error(n, "output_padding " + S(out_pad) +
                          " makes the output larger than a 64-bit size holds" + OnAxis(i));
    }
    if (__builtin_add_overflow(natural, span, &natural)) {
      return Error(n, "kernel_shape " + S(g.kernel) + " and dilations " + S(g.dilations) +
                          " make the output larger than a 64-bit size holds" + OnAxis(i));
    }
    int64_t out, total;
    if (!out_shape.empty() || same) {
      if (!out_shape.empty()) {
        out = out_shape[i];
      } else if (__builtin_mul_overflow(in, g.strides[i], &out)) {
        return Error(n, "strides " + S(g.strides) + " with auto_pad " + auto_pad +
                            " make the output larger than a 64-bit size holds" + OnAxis(i));
      }
      if (__builtin_sub_overflow(natural, out, &total)) {
        return Error(n, "output_shape " + S(out_shape) + " is out of range" + OnAxis(i));
      }
      // The spec: SAME_UPPER puts the smaller half first, everything else the larger half.
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? FloorDiv2(total) : total - FloorDiv2(total);
    } else {
      bool valid = auto_pad == "VALID";
      g.pads_begin[i] = valid ? 0 : pads[i];
      int64_t pad_end = valid ? 0 : pads[i + nd];
      if (__builtin_sub_overflow(natural, g.pads_begin[i], &out) ||
          __builtin_sub_overflow(out, pad_end, &out)) {
        return Error(n, "pads " + S(pads) + " are out of range" + OnAxis(i));
      }
    }
    if (out < 0) {
      return Error(n, "output size " + std::to_string(out) + " is negative" + OnAxis(i) +
                          " (pads " + S(pads) + " larger than the output)");
    }
    g.out[i] = out;
    // The padding at the end that makes the natural size (without output_padding) `out`.
    if (__builtin_sub_overflow(natural - out_pad[i], g.pads_begin[i], &g.pads_end[i]) ||
        __builtin_sub_overflow(g.pads_end[i], out, &g.pads_end[i])) {
      return Error(n, "pads " + S(pads) + " and output_shape " + S(out_shape) +
                          " are out of range" + OnAxis(i));
    }
  }
  IA_RETURN_IF_ERROR(SetOutput(n, g, x[0], m,
                               "strides " + S(g.strides) + ", output_padding " + S(out_pad) +
                                   ", output_shape " + S(out_shape) + ", dilations " +
                                   S(g.dilations)));
  return g;
}

Result<WindowGeometry> MaxUnpoolWindow(const Node& n, const Shape& x, const Shape* output_shape) {
  if (x.size() < 3) return Error(n, "X must be [N, C, spatial...], got " + S(x));
  if (!n.attr("kernel_shape")) return Error(n, "kernel_shape is required");
  size_t nd = x.size() - 2;
  WindowGeometry g;
  g.nd = static_cast<int>(nd);
  g.in.assign(x.begin() + 2, x.end());
  g.kernel = IntsAttr(n, "kernel_shape", {});
  g.strides = IntsAttr(n, "strides", std::vector<int64_t>(nd, 1));
  g.dilations.assign(nd, 1);
  std::vector<int64_t> pads = IntsAttr(n, "pads", std::vector<int64_t>(2 * nd, 0));
  IA_RETURN_IF_ERROR(CheckList(n, "kernel_shape", g.kernel, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "strides", g.strides, nd, 1, nd));
  IA_RETURN_IF_ERROR(CheckList(n, "pads", pads, 2 * nd, 0, nd));
  g.pads_begin.assign(pads.begin(), pads.begin() + nd);
  g.pads_end.assign(pads.begin() + nd, pads.end());
  if (output_shape && output_shape->size() != x.size()) {
    return Error(n, "output_shape " + S(*output_shape) + " must have X's rank " +
                        std::to_string(x.size()) + " (X " + S(x) + ")");
  }
  g.out.resize(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (g.in[i] < 1) return Error(n, "X " + S(x) + " has an empty spatial axis" + OnAxis(i));
    // (in - 1) * strides + kernel_shape - pads_begin - pads_end, one step at a time.
    int64_t out;
    if (__builtin_mul_overflow(g.in[i] - 1, g.strides[i], &out) ||
        __builtin_add_overflow(out, g.kernel[i], &out)) {
      return Error(n, "strides " + S(g.strides) + " and kernel_shape " + S(g.kernel) +
                          " make the output larger than a 64-bit size holds" + OnAxis(i));
    }
    out -= g.pads_begin[i];  // pads are non-negative, out positive: no overflow
    out -= g.pads_end[i];
    if (out < 1) {
      return Error(
          n, "pads " + S(pads) + " leave no output (size " + std::to_string(out) + ")" + OnAxis(i));
    }
    g.out[i] = out;
  }
  IA_RETURN_IF_ERROR(
      SetOutput(n, g, x[0], x[1], "kernel_shape " + S(g.kernel) + ", strides " + S(g.strides)));
  if (output_shape) {
    for (size_t i = 0; i < x.size(); ++i) {
      if ((*output_shape)[i] < g.output[i]) {
        return Error(n, "output_shape " + S(*output_shape) +
                            " is smaller than the unpooled shape " + S(g.output) + " (X " + S(x) +
                            ", kernel_shape " + S(g.kernel) + ", strides " + S(g.strides) +
                            ", pads " + S(pads) + ")");
      }
    }
    int64_t count = 1;
    for (int64_t d : *output_shape) {
      if (__builtin_mul_overflow(count, d, &count)) {
        return Error(
            n, "output_shape " + S(*output_shape) + " has more elements than a 64-bit count holds");
      }
    }
    g.output = *output_shape;
  }
  return g;
}

}  // namespace ipfs_accelerate::engine::ops
