// The one dtype dispatch of the CPU kernels: a kernel written once as a template over its
// element type runs for the dtype a tensor has at run time.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine::cpu {

// The C++ element type T, passed as a value: fn(Tag<T>{}) reads it as decltype(tag)::type.
template <typename T>
struct Tag {
  using type = T;
};

// The dtypes a kernel accepts.
enum TypeSet : unsigned {
  kFloats = 1,    // float32, float64
  kSigned = 2,    // int8, int16, int32, int64
  kUnsigned = 4,  // uint8, uint16, uint32, uint64
  kBool = 8,
  kInts = kSigned | kUnsigned,
  kNumeric = kFloats | kInts,
  kAll = kNumeric | kBool,
};

// Calls fn(Tag<T>{}) for the C++ type T of `d` and returns true when `d` is in kSet; false
// otherwise. Booleans are read as uint8_t (one byte, 0 or 1); float16 and bfloat16 are not
// listed (WithFloat16AsFloat32 widens them first).
template <unsigned kSet, typename Fn>
bool Dispatch(DType d, Fn&& fn) {
  switch (d) {
    case DType::kFloat32:
      if constexpr ((kSet & kFloats) != 0) return fn(Tag<float>{}), true;
      break;
    case DType::kFloat64:
      if constexpr ((kSet & kFloats) != 0) return fn(Tag<double>{}), true;
      break;
    case DType::kInt8:
      if constexpr ((kSet & kSigned) != 0) return fn(Tag<int8_t>{}), true;
      break;
    case DType::kInt16:
      if constexpr ((kSet & kSigned) != 0) return fn(Tag<int16_t>{}), true;
      break;
    case DType::kInt32:
      if constexpr ((kSet & kSigned) != 0) return fn(Tag<int32_t>{}), true;
      break;
    case DType::kInt64:
      if constexpr ((kSet & kSigned) != 0) return fn(Tag<int64_t>{}), true;
      break;
    case DType::kUInt8:
      if constexpr ((kSet & kUnsigned) != 0) return fn(Tag<uint8_t>{}), true;
      break;
    case DType::kUInt16:
      if constexpr ((kSet & kUnsigned) != 0) return fn(Tag<uint16_t>{}), true;
      break;
    case DType::kUInt32:
      if constexpr ((kSet & kUnsigned) != 0) return fn(Tag<uint32_t>{}), true;
      break;
    case DType::kUInt64:
      if constexpr ((kSet & kUnsigned) != 0) return fn(Tag<uint64_t>{}), true;
      break;
    case DType::kBool:
      if constexpr ((kSet & kBool) != 0) return fn(Tag<uint8_t>{}), true;
      break;
    default:
      break;
  }
  return false;
}

// Dispatch for a kernel body that returns a Status: its Status, or an Unsupported error naming
// the dtype when `d` is not in kSet.
template <unsigned kSet, typename Fn>
Status Visit(const KernelContext& ctx, DType d, Fn&& fn) {
  Status status;
  if (Dispatch<kSet>(d, [&](auto tag) { status = fn(tag); })) return status;
  return ctx.Unsupported("input dtype " + DTypeName(d) + " is not supported by this operator");
}

}  // namespace ipfs_accelerate::engine::cpu
