// Dynamic quantization of float32 to uint8 (DynamicQuantizeLinear's rule), for the kernels that
// quantize their activations on every run.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "engine/ops/quantize.h"

namespace ipfs_accelerate::engine::cpu {

// y[i] = saturate(round_half_even(x[i] / scale) + zero_point) in [0, qmax], with the scale and
// zero point of x's range widened to include 0 (ops::DynamicQuantizeParams), over the pool.
// Returns them.
ops::DynamicQuantParams QuantizeDynamicUInt8(ThreadPool* pool, const float* x, int64_t n,
                                             uint8_t* y, float qmax);

}  // namespace ipfs_accelerate::engine::cpu
