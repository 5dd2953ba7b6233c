// Index arithmetic and dtype dispatch shared by the reference kernels: kept plain on purpose.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine::reference {

template <typename T>
struct Tag {
  using type = T;
};

// Calls fn(Tag<float>) or fn(Tag<double>) for a float32 or float64 `dtype`; kUnsupported
// otherwise.
template <typename Fn>
Status VisitFloat(const KernelContext& ctx, DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32:
      return fn(Tag<float>{});
    case DType::kFloat64:
      return fn(Tag<double>{});
    default:
      return ctx.Unsupported("the reference backend runs float32 and float64, not " +
                             DTypeName(dtype));
  }
}

// Row-major strides of `shape`, in elements.
inline std::vector<int64_t> ContiguousStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

// The offset, under `strides`, of the element at row-major position `index` of `shape`.
inline int64_t Offset(int64_t index, const Shape& shape, const std::vector<int64_t>& strides) {
  int64_t offset = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    offset += (index % shape[d]) * strides[d];
    index /= shape[d];
  }
  return offset;
}

}  // namespace ipfs_accelerate::engine::reference
