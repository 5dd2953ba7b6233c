// float32 activations converted on every run to the types low-precision kernels compute in:
// bfloat16, and uint8 by dynamic quantization (DynamicQuantizeLinear's rule).
#pragma once

#include <cstdint>

#include "core/half.h"
#include "core/parallel_for.h"
#include "core/thread_pool.h"
#include "engine/ops/quantize.h"

namespace ipfs_accelerate::engine::cpu {

// y[i] = saturate(round_half_even(x[i] / scale) + zero_point) in [0, qmax], with the scale and
// zero point of x's range widened to include 0 (ops::DynamicQuantizeParams), over the pool.
// Returns them.
ops::DynamicQuantParams QuantizeDynamicUInt8(ThreadPool* pool, const float* x, int64_t n,
                                             uint8_t* y, float qmax);

// y[i] = x[i] rounded to bfloat16 (nearest even), over the pool.
inline void RoundToBFloat16(ThreadPool* pool, const float* x, int64_t n, uint16_t* y) {
  ParallelFor(pool, n, cost::kCheap, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = FloatToBFloat16(x[i]);
  });
}

}  // namespace ipfs_accelerate::engine::cpu
