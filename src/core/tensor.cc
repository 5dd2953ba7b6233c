#include "core/tensor.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/buffer_pool.h"
#include "core/progress.h"

namespace ipfs_accelerate {

size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kFloat32:
    case DType::kInt32:
    case DType::kUInt32:
      return 4;
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kUInt64:
      return 8;
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kInt16:
    case DType::kUInt16:
      return 2;
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool:
      return 1;
    case DType::kString:
    case DType::kUndefined:
      return 0;
  }
  return 0;
}

std::string DTypeName(DType t) {
  switch (t) {
    case DType::kUndefined:
      return "undefined";
    case DType::kFloat32:
      return "float32";
    case DType::kUInt8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kUInt16:
      return "uint16";
    case DType::kInt16:
      return "int16";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kString:
      return "string";
    case DType::kBool:
      return "bool";
    case DType::kFloat16:
      return "float16";
    case DType::kFloat64:
      return "float64";
    case DType::kUInt32:
      return "uint32";
    case DType::kUInt64:
      return "uint64";
    case DType::kBFloat16:
      return "bfloat16";
  }
  return "unknown";
}

DType DTypeFromOnnx(int32_t onnx_type) {
  switch (onnx_type) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 16:
      return static_cast<DType>(onnx_type);
    default:
      return DType::kUndefined;
  }
}

int64_t NumElements(const Shape& shape) {
  // A zero anywhere makes the product 0 even where the other dimensions would overflow.
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;  // callers reject such shapes
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Result<size_t> TensorBytes(DType dtype, const Shape& shape) {
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) {
      return Status::InvalidArgument("shape " + ShapeToString(shape) + " has a negative dimension");
    }
    empty |= d == 0;
  }
  if (empty) return size_t{0};
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) {
      return Status::InvalidArgument("shape " + ShapeToString(shape) +
                                     " has more elements than a 64-bit count holds");
    }
  }
  size_t bytes;
  if (__builtin_mul_overflow(static_cast<size_t>(n), DTypeSize(dtype), &bytes)) {
    return Status::InvalidArgument(DTypeName(dtype) + " tensor " + ShapeToString(shape) +
                                   " has more bytes than a 64-bit size holds");
  }
  if (bytes > kMaxTensorBytes) {
    return Status::ResourceExhausted(
        DTypeName(dtype) + " tensor " + ShapeToString(shape) + " is too large: it needs " +
        HumanBytes(static_cast<double>(bytes)) + ", over the limit of " +
        HumanBytes(static_cast<double>(kMaxTensorBytes)) + " for one tensor");
  }
  return bytes;
}

Tensor Tensor::Empty(DType dtype, Shape shape) {
  if (dtype == DType::kString) {
    // An array of std::string outside the buffer pool, whose reused bytes could not hold
    // objects; gated as sizeof(std::string) per element.
    Result<size_t> count = TensorBytes(DType::kUInt8, shape);
    if (count.ok() && *count > kMaxTensorBytes / sizeof(std::string)) {
      count = Status::ResourceExhausted("string tensor " + ShapeToString(shape) +
                                        " has too many elements");
    }
    if (!count.ok()) throw AllocationError(count.status());
    auto* items = new (std::nothrow) std::string[std::max<size_t>(*count, 1)];
    if (!items) {
      throw AllocationError(Status::ResourceExhausted("string tensor " + ShapeToString(shape) +
                                                      ": the system is out of memory"));
    }
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = std::move(shape);
    t.buffer_ = std::shared_ptr<uint8_t>(reinterpret_cast<uint8_t*>(items), [](uint8_t* p) {
      delete[] reinterpret_cast<std::string*>(p);
    });
    return t;
  }
  Result<size_t> bytes = TensorBytes(dtype, shape);
  if (!bytes.ok()) throw AllocationError(bytes.status());
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  // Round up to the alignment (aligned_alloc needs a multiple) and never allocate 0 bytes;
  // no overflow: bytes is at most kMaxTensorBytes.
  size_t alloc = std::max<size_t>((*bytes + 63) / 64 * 64, 64);
  if (BufferPool* pool = ScopedBufferPool::Current()) {
    Result<std::shared_ptr<uint8_t>> buffer = pool->Get(alloc);
    if (!buffer.ok()) {
      throw AllocationError(
          buffer.status().WithContext(DTypeName(dtype) + " tensor " + ShapeToString(t.shape_)));
    }
    t.buffer_ = std::move(buffer).value();
    return t;
  }
  void* p = std::aligned_alloc(64, alloc);
  if (!p) {
    throw AllocationError(Status::ResourceExhausted(
        DTypeName(dtype) + " tensor " + ShapeToString(t.shape_) + ": the system has no " +
        HumanBytes(static_cast<double>(alloc)) + " of memory left"));
  }
  t.buffer_ = std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), std::free);
  return t;
}

Tensor Tensor::Zeros(DType dtype, Shape shape) {
  Tensor t = Empty(dtype, std::move(shape));
  std::memset(t.raw(), 0, t.nbytes());
  return t;
}

Tensor Tensor::Reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::Clone() const {
  Tensor t = Empty(dtype_, shape_);
  if (dtype_ == DType::kString) {
    std::copy(data<std::string>(), data<std::string>() + numel(), t.data<std::string>());
  } else {
    std::memcpy(t.raw(), raw(), nbytes());
  }
  return t;
}

}  // namespace ipfs_accelerate
