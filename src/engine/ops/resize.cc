#include "engine/ops/resize.h"

#include <cmath>
#include <cstdio>
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
                                      const std::vector<float>& scales,
                                      const std::vector<int64_t>& sizes) {
  ResizeShape r;
  size_t rank = x.size();
  const char* from = sizes.empty() ? "scales" : "sizes";
  if (!sizes.empty()) {
    if (sizes.size() != rank) {
      return Error(n, "sizes " + List(sizes) + " must have one entry per input dimension (" +
                          std::to_string(rank) + ")");
    }
    for (size_t d = 0; d < rank; ++d) {
      if (sizes[d] < 0) return Error(n, "sizes " + List(sizes) + " must not be negative");
      r.out.push_back(sizes[d]);
      r.scales.push_back(x[d] == 0 ? 1.0
                                   : static_cast<double>(sizes[d]) / static_cast<double>(x[d]));
    }
  } else {
    if (scales.empty()) return Error(n, "one of scales or sizes is required");
    if (scales.size() != rank) {
      return Error(n, "scales " + List(scales) + " must have one entry per input dimension (" +
                          std::to_string(rank) + ")");
    }
    for (size_t d = 0; d < rank; ++d) {
      double s = scales[d];
      if (!(s > 0) || !std::isfinite(s))
        return Error(n, "scales " + List(scales) + " must be positive and finite");
      double o = std::floor(s * static_cast<double>(x[d]));
      // 2^62: every size below converts to int64 exactly enough and leaves room to count.
      if (!(o < 4611686018427387904.0)) {
        return Error(n, "scales " + List(scales) + " make dimension " + std::to_string(d) +
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
      return Error(n, std::string(from) + " " + (sizes.empty() ? List(scales) : List(sizes)) +
                          " make the output " + ShapeToString(r.out) +
                          ", more elements than a 64-bit count holds");
    }
  }
  return r;
}

}  // namespace ipfs_accelerate::engine::ops
