// Dense tensors: a dtype, a shape and a shared, 64-byte aligned, row-major buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate {

// The ONNX element types, numbered as TensorProto.DataType numbers them.
enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

// Bytes per element; 0 for kUndefined and kString (a string tensor holds std::string objects,
// which no byte copy may touch: kernels that take strings say so, see ops::TakesStrings).
size_t DTypeSize(DType t);
// "float32", "int64", …
std::string DTypeName(DType t);
// The DType of an ONNX TensorProto.DataType number; kUndefined for types we do not hold
// (complex, string is kString).
DType DTypeFromOnnx(int32_t onnx_type);

using Shape = std::vector<int64_t>;
// The product of the dimensions; INT64_MAX when it overflows.
int64_t NumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[1, 3, 224, 224]"

// The largest tensor Tensor::Empty allocates, whatever memory budget is in force (64 GiB).
constexpr size_t kMaxTensorBytes = size_t{1} << 36;

// The bytes a tensor of `dtype` and `shape` holds, or why no such tensor can exist: a negative
// dimension, or an element count or byte size past 64 bits (kInvalidArgument); more than
// kMaxTensorBytes (kResourceExhausted). The one check every allocation goes through.
Result<size_t> TensorBytes(DType dtype, const Shape& shape);

// Thrown by Tensor::Empty (and so by KernelContext::Allocate, Zeros and Clone) instead of
// allocating when TensorBytes refuses the shape or when the memory budget of the BufferPool in
// scope would be exceeded. Code that runs kernels catches it and returns status(): the engine's
// RunGraph does, naming the node, so it never crosses a Session. Never thrown on a thread-pool
// worker, as long as kernels allocate their tensors outside their parallel loops (they do).
class AllocationError : public std::exception {
 public:
  explicit AllocationError(Status status) : status_(std::move(status)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

class Tensor {
 public:
  Tensor() = default;
  // A tensor with uninitialized contents, from the BufferPool in scope (see ScopedBufferPool)
  // or from malloc. Throws AllocationError, allocating nothing, for a shape TensorBytes refuses
  // or past the pool's memory budget. A kString tensor holds empty std::strings (data<
  // std::string>()), allocated apart from the pool.
  static Tensor Empty(DType dtype, Shape shape);
  // A tensor filled with zero bytes (as Empty).
  static Tensor Zeros(DType dtype, Shape shape);
  // A rank-0 tensor holding `value`.
  template <typename T>
  static Tensor Scalar(DType dtype, T value) {
    Tensor t = Empty(dtype, {});
    *t.data<T>() = value;
    return t;
  }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return NumElements(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }

  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(buffer_.get());
  }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(buffer_.get());
  }
  void* raw() { return buffer_.get(); }
  const void* raw() const { return buffer_.get(); }

  // The same buffer under another shape with as many elements.
  Tensor Reshaped(Shape shape) const;
  // A deep copy.
  Tensor Clone() const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::shared_ptr<uint8_t> buffer_;
};

}  // namespace ipfs_accelerate
