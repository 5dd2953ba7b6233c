// Helpers shared by the data-movement kernels (tensor_ops_*.cc): axis checks, integer inputs,
// a dtype-generic strided copy and a typed dispatch for the few ops that do arithmetic.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "core/half.h"
#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"

namespace ipfs_accelerate::engine::cpu {

// Per-file registration, called from RegisterTensorKernels.
void RegisterShapeKernels(KernelRegistry& r);
void RegisterCopyKernels(KernelRegistry& r);
void RegisterIndexKernels(KernelRegistry& r);
void RegisterResizeKernels(KernelRegistry& r);
void RegisterControlFlowKernels(KernelRegistry& r);

// In their own namespace so they cannot collide with other kernel files' helpers.
namespace tensor_ops {

// `axis` in [-rank, rank) mapped to [0, rank), or an error naming the attribute or input `what`.
Result<int> NormalizeAxis(const KernelContext& ctx, int64_t axis, int64_t rank,
                          const char* what = "axis");

// The values of an integer tensor (int8..uint64) as int64, or an error naming input `what`.
Result<std::vector<int64_t>> ReadInts(const KernelContext& ctx, const Tensor& t, const char* what);

// A scalar (or one-element tensor) of any numeric dtype as double.
Result<double> ReadScalar(const KernelContext& ctx, const Tensor& t, const char* what);

// The allocation gate (TensorBytes: a negative dimension, a count or size past 64 bits, more than
// kMaxTensorBytes) as an error naming the node, for outputs whose size comes from input values
// (Expand, Tile, Range, ...), to check before any work is done for them; Allocate checks again.
Status CheckOutputSize(const KernelContext& ctx, const Shape& shape, DType dtype);

// Row-major strides (in elements) of `shape`.
std::vector<int64_t> ContiguousStrides(const Shape& shape);

// Fills `dst` (contiguous, `shape`) from `src` read at element offset `src_offset` with element
// strides `src_strides` (0 for broadcast, negative allowed). Copies contiguous inner runs with
// memcpy and splits large copies over `pool`.
void StridedCopy(void* dst, const void* src, size_t elem_size, const Shape& shape,
                 const std::vector<int64_t>& src_strides, int64_t src_offset, ThreadPool* pool);

// Concatenation along `axis`, the one slab copy of Concat, ConcatFromSequence, Split and
// SplitToSequence. ConcatInto fills `out` with `parts` one after another along `axis` (their
// shapes are out's but along it, their dtype out's), splitting the rows over `pool`.
// CopyAlong fills `part` with x's elements at [start, start + part.dim(axis)) along `axis`.
void ConcatInto(Tensor& out, const std::vector<const Tensor*>& parts, int axis, ThreadPool* pool);
void CopyAlong(Tensor& part, const Tensor& x, int axis, int64_t start);

// A tensor's values converted to float / stored back from float (float, double, half types).
bool IsFloatType(DType t);
std::vector<float> ToFloats(const Tensor& t);
void FromFloats(const std::vector<float>& v, Tensor* t);

}  // namespace tensor_ops
}  // namespace ipfs_accelerate::engine::cpu
