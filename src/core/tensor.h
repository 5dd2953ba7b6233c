// Dense tensors: a dtype, a shape and a shared, 64-byte aligned, row-major buffer.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Bytes per element; 0 for kUndefined and kString.
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

class Tensor {
 public:
  Tensor() = default;
  // A tensor with uninitialized contents.
  static Tensor Empty(DType dtype, Shape shape);
  // A tensor filled with zero bytes.
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
