#include "engine/backends/cpu/tensor_ops_util.h"

#include <algorithm>
#include <cmath>

#include "engine/ops/axis.h"

namespace ipfs_accelerate::engine::cpu::tensor_ops {

Result<int> NormalizeAxis(const KernelContext& ctx, int64_t axis, int64_t rank, const char* what) {
  return ops::NormalizeAxis(ctx.node(), axis, rank, what);
}

Result<std::vector<int64_t>> ReadInts(const KernelContext& ctx, const Tensor& t, const char* what) {
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  bool ok = false;
  switch (t.dtype()) {
    case DType::kInt64:
      std::copy_n(t.data<int64_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kInt32:
      std::copy_n(t.data<int32_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kInt16:
      std::copy_n(t.data<int16_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kInt8:
      std::copy_n(t.data<int8_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kUInt8:
      std::copy_n(t.data<uint8_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kUInt16:
      std::copy_n(t.data<uint16_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kUInt32:
      std::copy_n(t.data<uint32_t>(), out.size(), out.begin());
      ok = true;
      break;
    case DType::kUInt64:
      std::copy_n(t.data<uint64_t>(), out.size(), out.begin());
      ok = true;
      break;
    default:
      break;
  }
  if (!ok)
    return ctx.Error(std::string(what) + " must be an integer tensor, got " + DTypeName(t.dtype()));
  return out;
}

Result<double> ReadScalar(const KernelContext& ctx, const Tensor& t, const char* what) {
  if (t.numel() != 1) {
    return ctx.Error(std::string(what) + " must hold one value, got shape " +
                     ShapeToString(t.shape()));
  }
  double v = 0;
  if (t.dtype() == DType::kFloat16) return static_cast<double>(HalfToFloat(*t.data<uint16_t>()));
  if (t.dtype() == DType::kBFloat16)
    return static_cast<double>(BFloat16ToFloat(*t.data<uint16_t>()));
  bool ok = Dispatch<kAll>(
      t.dtype(), [&](auto x) { v = static_cast<double>(*t.data<typename decltype(x)::type>()); });
  if (!ok) return ctx.Error(std::string(what) + " must be numeric, got " + DTypeName(t.dtype()));
  return v;
}

Status CheckOutputSize(const KernelContext& ctx, const Shape& shape, DType dtype) {
  Result<size_t> bytes = TensorBytes(DTypeSize(dtype) > 0 ? dtype : DType::kUInt8, shape);
  if (bytes.ok()) return Status::Ok();
  return bytes.status().WithContext(ctx.node().Describe() + ": output");
}

namespace {

// The rows before `axis` and the bytes of one element step along it.
std::pair<int64_t, int64_t> OuterAndInner(const Shape& shape, int axis, DType dtype) {
  int64_t outer = 1, inner = static_cast<int64_t>(DTypeSize(dtype));
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < static_cast<int>(shape.size()); ++d) inner *= shape[d];
  return {outer, inner};
}

}  // namespace

void ConcatInto(Tensor& out, const std::vector<const Tensor*>& parts, int axis, ThreadPool* pool) {
  const auto [outer, inner] = OuterAndInner(out.shape(), axis, out.dtype());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const int64_t out_row = out.dim(axis) * inner;
  int64_t offset = 0;
  for (const Tensor* t : parts) {
    const int64_t row = t->dim(axis) * inner;
    const auto* src = static_cast<const uint8_t*>(t->raw());
    if (row > 0) {
      ParallelFor(pool, outer, row, [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) std::memcpy(dst + o * out_row + offset, src + o * row, row);
      });
    }
    offset += row;
  }
}

void CopyAlong(Tensor& part, const Tensor& x, int axis, int64_t start) {
  const auto [outer, inner] = OuterAndInner(x.shape(), axis, x.dtype());
  const int64_t in_row = x.dim(axis) * inner, row = part.dim(axis) * inner;
  if (row == 0) return;
  const auto* src = static_cast<const uint8_t*>(x.raw()) + start * inner;
  auto* dst = static_cast<uint8_t*>(part.raw());
  for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * row, src + o * in_row, row);
}

std::vector<int64_t> ContiguousStrides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

namespace {

template <typename T>
void CopyRun(T* dst, const T* src, int64_t n, int64_t stride) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

void CopyElems(uint8_t* dst, const uint8_t* src, size_t es, int64_t n, int64_t stride) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * es);
    return;
  }
  switch (es) {
    case 1:
      CopyRun(dst, src, n, stride);
      return;
    case 2:
      CopyRun(reinterpret_cast<uint16_t*>(dst), reinterpret_cast<const uint16_t*>(src), n, stride);
      return;
    case 4:
      CopyRun(reinterpret_cast<uint32_t*>(dst), reinterpret_cast<const uint32_t*>(src), n, stride);
      return;
    case 8:
      CopyRun(reinterpret_cast<uint64_t*>(dst), reinterpret_cast<const uint64_t*>(src), n, stride);
      return;
    default:
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(dst + i * es, src + i * stride * static_cast<int64_t>(es), es);
  }
}

// The 4x4 block of 32-bit elements at dst (rows dst_row apart) from the one at src (columns
// src_col apart), transposed in vector registers (__builtin_shufflevector: GCC 12+ and clang).
inline void Transpose4x4(uint32_t* dst, const uint32_t* src, int64_t dst_row, int64_t src_col) {
  using V = uint32_t __attribute__((vector_size(16)));
  V c[4];
  for (int k = 0; k < 4; ++k) std::memcpy(&c[k], src + k * src_col, sizeof(V));
  V t0 = __builtin_shufflevector(c[0], c[1], 0, 4, 1, 5);
  V t1 = __builtin_shufflevector(c[0], c[1], 2, 6, 3, 7);
  V t2 = __builtin_shufflevector(c[2], c[3], 0, 4, 1, 5);
  V t3 = __builtin_shufflevector(c[2], c[3], 2, 6, 3, 7);
  V r[4] = {
      __builtin_shufflevector(t0, t2, 0, 1, 4, 5), __builtin_shufflevector(t0, t2, 2, 3, 6, 7),
      __builtin_shufflevector(t1, t3, 0, 1, 4, 5), __builtin_shufflevector(t1, t3, 2, 3, 6, 7)};
  for (int k = 0; k < 4; ++k) std::memcpy(dst + k * dst_row, &r[k], sizeof(V));
}

template <typename T>
void TileBlock(T* dst, const T* src, int64_t rows, int64_t cols, int64_t dst_row, int64_t src_col) {
  // dst[r * dst_row + c] = src[r + c * src_col]: read down columns of the source in cache-sized
  // tiles.
  constexpr int64_t kTile = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      int64_t c1 = std::min(cols, c0 + kTile);
      int64_t r = r0;
      if constexpr (sizeof(T) == 4) {
        // Whole 4x4 blocks in registers; the ragged edges below element by element.
        const int64_t c4 = c0 + (c1 - c0) / 4 * 4;
        for (; r + 4 <= r1; r += 4) {
          for (int64_t c = c0; c < c4; c += 4) {
            Transpose4x4(reinterpret_cast<uint32_t*>(dst + r * dst_row + c),
                         reinterpret_cast<const uint32_t*>(src + r + c * src_col), dst_row,
                         src_col);
          }
          for (int64_t rr = r; rr < r + 4; ++rr) {
            for (int64_t c = c4; c < c1; ++c) dst[rr * dst_row + c] = src[rr + c * src_col];
          }
        }
      }
      for (; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) dst[r * dst_row + c] = src[r + c * src_col];
      }
    }
  }
}

// StridedCopy when the output's last dim is strided in the source but dim `j` is contiguous there:
// a batch of 2-D transposes between dims j and last, done in tiles.
void TiledCopy(uint8_t* d, const uint8_t* s, size_t es, const Shape& shape,
               const std::vector<int64_t>& strides, int j, ThreadPool* pool) {
  int rank = static_cast<int>(shape.size());
  std::vector<int64_t> dst_strides = ContiguousStrides(shape);
  int64_t rows = shape[j], cols = shape.back(), src_col = strides.back(), dst_row = dst_strides[j];
  // The remaining dims, iterated as one flat index.
  std::vector<int> others;
  for (int k = 0; k < rank - 1; ++k) {
    if (k != j) others.push_back(k);
  }
  int64_t outer = 1;
  for (int k : others) outer *= shape[k];
  ParallelFor(pool, outer, rows * cols * static_cast<int64_t>(es), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      int64_t r = o, soff = 0, doff = 0;
      for (size_t q = others.size(); q-- > 0;) {
        int k = others[q];
        int64_t i = r % shape[k];
        r /= shape[k];
        soff += i * strides[k];
        doff += i * dst_strides[k];
      }
      const uint8_t* sp = s + soff * static_cast<int64_t>(es);
      uint8_t* dp = d + doff * static_cast<int64_t>(es);
      switch (es) {
        case 1:
          TileBlock(dp, sp, rows, cols, dst_row, src_col);
          break;
        case 2:
          TileBlock(reinterpret_cast<uint16_t*>(dp), reinterpret_cast<const uint16_t*>(sp), rows,
                    cols, dst_row, src_col);
          break;
        case 4:
          TileBlock(reinterpret_cast<uint32_t*>(dp), reinterpret_cast<const uint32_t*>(sp), rows,
                    cols, dst_row, src_col);
          break;
        default:
          TileBlock(reinterpret_cast<uint64_t*>(dp), reinterpret_cast<const uint64_t*>(sp), rows,
                    cols, dst_row, src_col);
          break;
      }
    }
  });
}

}  // namespace

void StridedCopy(void* dst, const void* src, size_t es, const Shape& shape_in,
                 const std::vector<int64_t>& strides_in, int64_t src_offset, ThreadPool* pool) {
  if (NumElements(shape_in) == 0) return;
  // Drop size-1 dims and merge dims that are contiguous in the source too.
  Shape shape;
  std::vector<int64_t> strides;
  for (size_t i = 0; i < shape_in.size(); ++i) {
    if (shape_in[i] == 1) continue;
    if (!shape.empty() && strides.back() == strides_in[i] * shape_in[i]) {
      shape.back() *= shape_in[i];
      strides.back() = strides_in[i];
    } else {
      shape.push_back(shape_in[i]);
      strides.push_back(strides_in[i]);
    }
  }
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src) + src_offset * static_cast<int64_t>(es);
  if (shape.empty()) {
    std::memcpy(d, s, es);
    return;
  }
  int rank = static_cast<int>(shape.size());
  int64_t inner = shape.back(), inner_stride = strides.back();
  if (inner_stride != 1 && (es == 1 || es == 2 || es == 4 || es == 8)) {
    for (int j = 0; j < rank - 1; ++j) {
      if (strides[j] == 1) {
        TiledCopy(d, s, es, shape, strides, j, pool);
        return;
      }
    }
  }
  int64_t rows = NumElements(shape) / inner;
  int64_t row_bytes = inner * static_cast<int64_t>(es);
  ParallelFor(pool, rows, row_bytes, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(rank, 0);
    int64_t off = 0, r = begin;
    for (int k = rank - 2; k >= 0; --k) {
      idx[k] = r % shape[k];
      r /= shape[k];
      off += idx[k] * strides[k];
    }
    for (int64_t row = begin; row < end; ++row) {
      CopyElems(d + row * row_bytes, s + off * static_cast<int64_t>(es), es, inner, inner_stride);
      for (int k = rank - 2; k >= 0; --k) {
        off += strides[k];
        if (++idx[k] < shape[k]) break;
        off -= strides[k] * shape[k];
        idx[k] = 0;
      }
    }
  });
}

bool IsFloatType(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
         t == DType::kBFloat16;
}

std::vector<float> ToFloats(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t.dtype()) {
      case DType::kFloat32:
        v[i] = t.data<float>()[i];
        break;
      case DType::kFloat64:
        v[i] = static_cast<float>(t.data<double>()[i]);
        break;
      case DType::kFloat16:
        v[i] = HalfToFloat(t.data<uint16_t>()[i]);
        break;
      case DType::kBFloat16:
        v[i] = BFloat16ToFloat(t.data<uint16_t>()[i]);
        break;
      default:
        break;
    }
  }
  return v;
}

void FromFloats(const std::vector<float>& v, Tensor* t) {
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t->dtype()) {
      case DType::kFloat32:
        t->data<float>()[i] = v[i];
        break;
      case DType::kFloat64:
        t->data<double>()[i] = v[i];
        break;
      case DType::kFloat16:
        t->data<uint16_t>()[i] = FloatToHalf(v[i]);
        break;
      case DType::kBFloat16:
        t->data<uint16_t>()[i] = FloatToBFloat16(v[i]);
        break;
      default:
        break;
    }
  }
}

}  // namespace ipfs_accelerate::engine::cpu::tensor_ops
