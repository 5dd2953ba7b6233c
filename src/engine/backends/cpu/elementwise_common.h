// Shared machinery of the element-wise kernels: walking broadcast
// operands row by row, dispatching on dtype, and float16/bfloat16 conversion.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#include "core/half.h"
#include "core/parallel_for.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine::cpu {

// Registration of the element-wise groups; RegisterElementwiseKernels calls them all.
void RegisterUnaryKernels(KernelRegistry& r);
void RegisterCastKernels(KernelRegistry& r);

namespace elementwise {

// K operands read as if broadcast to `shape`, with adjacent dimensions merged where every
// operand allows it. The innermost dimension has stride 0 or 1 in every operand.
template <size_t K>
struct BroadcastPlan {
  Shape shape;                                  // merged output shape, rank >= 1
  std::array<std::vector<int64_t>, K> strides;  // per operand, in elements
  std::array<bool, K> inner_contiguous{};       // stride 1 (else 0) along the last dim
};

// The plan for operands of `shapes` broadcast to `out` (each must broadcast to it).
template <size_t K>
BroadcastPlan<K> MakePlan(const Shape& out, const std::array<const Shape*, K>& shapes) {
  // Full-rank strides, 0 along broadcast (and size-1) dimensions.
  const size_t rank = out.size();
  std::array<std::vector<int64_t>, K> full;
  for (size_t k = 0; k < K; ++k) {
    full[k].assign(rank, 0);
    const Shape& s = *shapes[k];
    int64_t stride = 1;
    for (size_t i = s.size(); i-- > 0;) {
      full[k][rank - s.size() + i] = s[i] == 1 ? 0 : stride;
      stride *= s[i];
    }
  }
  BroadcastPlan<K> p;
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;  // contributes nothing to any offset
    bool merge = !p.shape.empty();
    for (size_t k = 0; k < K && merge; ++k) {
      merge = p.strides[k].back() == full[k][d] * out[d];
    }
    if (merge) {
      p.shape.back() *= out[d];
      for (size_t k = 0; k < K; ++k) p.strides[k].back() = full[k][d];
    } else {
      p.shape.push_back(out[d]);
      for (size_t k = 0; k < K; ++k) p.strides[k].push_back(full[k][d]);
    }
  }
  if (p.shape.empty()) {
    p.shape.push_back(1);
    for (size_t k = 0; k < K; ++k) p.strides[k].push_back(0);
  }
  for (size_t k = 0; k < K; ++k) p.inner_contiguous[k] = p.strides[k].back() == 1;
  return p;
}

// Calls fn(offsets, out_index, count) for each run of output elements in [begin, end) that lies
// within one innermost row; offsets[k] is the element offset into operand k at out_index.
// Always inlined, so that a caller compiled for a wider instruction set (vec_math.h) runs fn with
// it.
template <size_t K, typename Fn>
inline __attribute__((always_inline)) void ForEachRow(const BroadcastPlan<K>& p, int64_t begin,
                                                      int64_t end, Fn&& fn) {
  const int rank = static_cast<int>(p.shape.size());
  const int64_t inner = p.shape[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, K> off{};
  int64_t rem = begin;
  for (int d = rank - 1; d >= 0; --d) {
    idx[d] = rem % p.shape[d];
    rem /= p.shape[d];
    for (size_t k = 0; k < K; ++k) off[k] += idx[d] * p.strides[k][d];
  }
  int64_t pos = begin;
  while (pos < end) {
    int64_t count = std::min(inner - idx[rank - 1], end - pos);
    fn(off, pos, count);
    pos += count;
    if (pos >= end) break;
    // Back to the start of the row, then carry into the outer dimensions.
    for (size_t k = 0; k < K; ++k) off[k] -= idx[rank - 1] * p.strides[k][rank - 1];
    idx[rank - 1] = 0;
    for (int d = rank - 2; d >= 0; --d) {
      for (size_t k = 0; k < K; ++k) off[k] += p.strides[k][d];
      if (++idx[d] < p.shape[d]) break;
      for (size_t k = 0; k < K; ++k) off[k] -= p.strides[k][d] * p.shape[d];
      idx[d] = 0;
    }
  }
}

// A float32 copy of a float16 or bfloat16 tensor, and back.
Tensor WidenToFloat32(const Tensor& t);
Tensor NarrowFromFloat32(const Tensor& t, DType to);

// Runs `kernel` with float16/bfloat16 inputs widened to float32, and narrows each float32 output
// back to the dtype of input `type_input` when that input was float16/bfloat16. Arithmetic runs
// in float32, as ONNX Runtime does on CPUs without native half support.
Status WithFloat16AsFloat32(KernelContext& ctx, KernelFn kernel, size_t type_input);

template <KernelFn F, size_t kTypeInput = 0>
Status Half(KernelContext& ctx) {
  return WithFloat16AsFloat32(ctx, F, kTypeInput);
}

}  // namespace elementwise
}  // namespace ipfs_accelerate::engine::cpu
