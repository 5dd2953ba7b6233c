#include "engine/ops/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

namespace ipfs_accelerate::engine::ops {
namespace {

Status Error(const Node& n, const std::string& message) {
  return Status::InvalidArgument(n.Describe() + ": " + message);
}

template <typename T>
std::string List(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    s += i ? ", " : "";
    if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v[i]));
      s += buf;
    } else {
      s += std::to_string(v[i]);
    }
  }
  return s + "]";
}

}  // namespace

Result<ResizeShape> ResizeOutputShape(const Node& n, const Shape& x,
                                      const std::vector<float>& scales_in,
                                      const std::vector<int64_t>& sizes_in) {
  ResizeShape r;
  size_t rank = x.size();
  const char* from = sizes_in.empty() ? "scales" : "sizes";
  // Opset 18's axes: scales or sizes name only these dimensions (the others keep scale 1).
  std::vector<size_t> axes;
  const Attribute* axes_attr = n.opset >= 18 ? n.attr("axes") : nullptr;
  if (axes_attr && axes_attr->kind != Attribute::Kind::kInts)
    return Error(n, "attribute axes has the wrong type");
  if (axes_attr) {
    std::vector<bool> seen(rank, false);
    for (int64_t a : axes_attr->ints) {
      int64_t d = a < 0 ? a + static_cast<int64_t>(rank) : a;
      if (d < 0 || d >= static_cast<int64_t>(rank)) {
        return Error(n, "axes " + List(axes_attr->ints) + " name a dimension outside rank " +
                            std::to_string(rank));
      }
      if (seen[d]) return Error(n, "axes " + List(axes_attr->ints) + " repeat a dimension");
      seen[d] = true;
      axes.push_back(static_cast<size_t>(d));
    }
  } else {
    for (size_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  const std::string what = axes_attr ? "entry per axis in axes (" : "entry per input dimension (";
  std::vector<int64_t> sizes;
  std::vector<float> scales;
  if (!sizes_in.empty()) {
    if (sizes_in.size() != axes.size()) {
      return Error(n, "sizes " + List(sizes_in) + " must have one " + what +
                          std::to_string(axes.size()) + ")");
    }
    for (int64_t v : sizes_in) {
      if (v < 0) return Error(n, "sizes " + List(sizes_in) + " must not be negative");
    }
    sizes.assign(x.begin(), x.end());
    for (size_t i = 0; i < axes.size(); ++i) sizes[axes[i]] = sizes_in[i];
  } else if (!scales_in.empty()) {
    if (scales_in.size() != axes.size()) {
      return Error(n, "scales " + List(scales_in) + " must have one " + what +
                          std::to_string(axes.size()) + ")");
    }
    scales.assign(rank, 1.0f);
    for (size_t i = 0; i < axes.size(); ++i) scales[axes[i]] = scales_in[i];
  }
  // Opset 18's keep_aspect_ratio_policy (sizes only): one scale for every axis in axes, the
  // smallest (not_larger) or largest (not_smaller) of sizes / input, the sizes rounded from it.
  std::string policy = "stretch";
  if (const Attribute* a = n.opset >= 18 ? n.attr("keep_aspect_ratio_policy") : nullptr) {
    if (a->kind != Attribute::Kind::kString)
      return Error(n, "attribute keep_aspect_ratio_policy has the wrong type");
    policy = a->s;
  }
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
    return Error(n, "keep_aspect_ratio_policy must be stretch, not_larger or not_smaller, got '" +
                        policy + "'");
  }
  if (!sizes.empty() && policy != "stretch") {
    bool larger = policy == "not_smaller";
    double scale = larger ? 0 : std::numeric_limits<double>::infinity();
    for (size_t d : axes) {
      if (x[d] == 0) return Error(n, "keep_aspect_ratio_policy needs non-empty input dimensions");
      double s = static_cast<double>(sizes[d]) / static_cast<double>(x[d]);
      scale = larger ? std::max(scale, s) : std::min(scale, s);
    }
    r.scales.assign(rank, 1.0);
    r.out.assign(x.begin(), x.end());
    for (size_t d : axes) {
      double o = std::round(scale * static_cast<double>(x[d]));
      if (!(o < 4611686018427387904.0)) {
        return Error(n, "sizes " + List(sizes_in) + " make dimension " + std::to_string(d) +
                            " larger than a 64-bit size holds");
      }
      r.out[d] = static_cast<int64_t>(o);
      r.scales[d] = scale;
    }
  } else if (!sizes.empty()) {
    for (size_t d = 0; d < rank; ++d) {
      r.out.push_back(sizes[d]);
      r.scales.push_back(x[d] == 0 ? 1.0
                                   : static_cast<double>(sizes[d]) / static_cast<double>(x[d]));
    }
  } else {
    if (scales.empty()) return Error(n, "one of scales or sizes is required");
    for (size_t d = 0; d < rank; ++d) {
      double s = scales[d];
      if (!(s > 0) || !std::isfinite(s))
        return Error(n, "scales " + List(scales_in) + " must be positive and finite");
      double o = std::floor(s * static_cast<double>(x[d]));
      // 2^62: every size below converts to int64 exactly enough and leaves room to count.
      if (!(o < 4611686018427387904.0)) {
        return Error(n, "scales " + List(scales_in) + " make dimension " + std::to_string(d) +
                            " larger than a 64-bit size holds");
      }
      r.out.push_back(static_cast<int64_t>(o));
      r.scales.push_back(s);
    }
  }
  int64_t count = 1;
  bool empty = false;
  for (int64_t d : r.out) empty |= d == 0;
  for (size_t d = 0; !empty && d < rank; ++d) {
    if (__builtin_mul_overflow(count, r.out[d], &count)) {
      return Error(n, std::string(from) + " " +
                          (sizes_in.empty() ? List(scales_in) : List(sizes_in)) +
                          " make the output " + ShapeToString(r.out) +
                          ", more elements than a 64-bit count holds");
    }
  }
  return r;
}

}  // namespace ipfs_accelerate::engine::ops
