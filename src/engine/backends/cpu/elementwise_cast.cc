// Cast and CastLike, and the float16/bfloat16 conversions.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "engine/backends/cpu/elementwise_common.h"

namespace ipfs_accelerate::engine::cpu {
namespace elementwise {

Tensor WidenToFloat32(const Tensor& t) {
  Tensor out = Tensor::Empty(DType::kFloat32, t.shape());
  const uint16_t* src = t.data<uint16_t>();
  float* dst = out.data<float>();
  const int64_t n = t.numel();
  if (t.dtype() == DType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = HalfToFloat(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = BFloat16ToFloat(src[i]);
  }
  return out;
}

Tensor NarrowFromFloat32(const Tensor& t, DType to) {
  Tensor out = Tensor::Empty(to, t.shape());
  const float* src = t.data<float>();
  uint16_t* dst = out.data<uint16_t>();
  const int64_t n = t.numel();
  if (to == DType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = FloatToHalf(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = FloatToBFloat16(src[i]);
  }
  return out;
}

namespace {

bool IsHalf(DType d) { return d == DType::kFloat16 || d == DType::kBFloat16; }

}  // namespace

Status WithFloat16AsFloat32(KernelContext& ctx, KernelFn kernel, size_t type_input) {
  bool any = false;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.input(i);
    any = any || (t && IsHalf(t->dtype()));
  }
  if (!any) return kernel(ctx);
  std::vector<Tensor> widened(ctx.num_inputs());
  std::vector<const Tensor*> inputs(ctx.num_inputs(), nullptr);
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.input(i);
    if (t && IsHalf(t->dtype())) {
      widened[i] = WidenToFloat32(*t);
      inputs[i] = &widened[i];
    } else {
      inputs[i] = t;
    }
  }
  std::vector<Value> outputs(ctx.num_outputs());
  KernelContext inner(ctx.node(), inputs, &outputs, ctx.pool(), ctx.backend(), ctx.scope());
  IA_RETURN_IF_ERROR(kernel(inner));
  const Tensor* typed = ctx.input(type_input);
  const DType narrow = typed ? typed->dtype() : DType::kUndefined;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (IsHalf(narrow) && outputs[i].tensor().dtype() == DType::kFloat32) {
      ctx.SetOutput(i, NarrowFromFloat32(outputs[i].tensor(), narrow));
    } else {
      ctx.SetOutput(i, std::move(outputs[i]));
    }
  }
  return Status::Ok();
}

}  // namespace elementwise

namespace {

using namespace elementwise;

// Tags for the 16-bit float types, which Visit does not list.
struct F16 {};
struct BF16 {};

template <typename S>
using Storage = std::conditional_t<std::is_same_v<S, F16> || std::is_same_v<S, BF16>, uint16_t, S>;

// The value of `v` (of tag type S) as a float or double, or as itself for integers.
template <typename S>
auto Load(Storage<S> v) {
  if constexpr (std::is_same_v<S, F16>)
    return HalfToFloat(v);
  else if constexpr (std::is_same_v<S, BF16>)
    return BFloat16ToFloat(v);
  else
    return v;
}

template <typename D, typename V>
Storage<D> Convert(V v, bool to_bool) {
  if constexpr (std::is_same_v<D, F16>) {
    if constexpr (std::is_same_v<V, float>)
      return FloatToHalf(v);
    else
      return DoubleToHalf(static_cast<double>(v));
  } else if constexpr (std::is_same_v<D, BF16>) {
    if constexpr (std::is_same_v<V, float>)
      return FloatToBFloat16(v);
    else
      return DoubleToBFloat16(static_cast<double>(v));
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else {
    if (to_bool) return static_cast<D>(v != 0);
    if constexpr (std::is_floating_point_v<V>) {
      // Out-of-range and NaN are undefined in ONNX; saturate (NaN to 0) rather than hit C++ UB.
      if (std::isnan(v)) return 0;
      if (v <= static_cast<V>(std::numeric_limits<D>::lowest()))
        return std::numeric_limits<D>::lowest();
      if (v >= static_cast<V>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
      return static_cast<D>(v);
    } else {
      return static_cast<D>(v);  // integers wrap modulo 2^bits (C++20)
    }
  }
}

// Like Visit, but with the 16-bit floats as F16/BF16 tags and bool as its own flag.
template <typename Fn>
Status VisitAny(const KernelContext& ctx, DType d, Fn&& fn) {
  if (d == DType::kFloat16) return fn(Tag<F16>{});
  if (d == DType::kBFloat16) return fn(Tag<BF16>{});
  return Visit<kAll>(ctx, d, fn);
}

// A number as ONNX Runtime writes it into a string: the shortest text that reads back as the
// same value of its type (float16/bfloat16 and float32 as float32), "NaN", "INF", "-INF".
template <typename V>
std::string NumberText(V v) {
  if constexpr (std::is_floating_point_v<V>) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
  } else {
    return std::to_string(v);
  }
}

// Cast to or from string tensors: numbers written as NumberText writes them; strings read as
// decimal numbers ("NaN", "INF", "-inf" and exponents included), or "true"/"false" for bool. A
// string that is no number is an error naming it.
Status CastStrings(KernelContext& ctx, const Tensor& x, DType to) {
  const int64_t n = x.numel();
  if (to == DType::kString) {
    Tensor& y = ctx.Allocate(0, DType::kString, x.shape());
    std::string* dst = y.data<std::string>();
    return VisitAny(ctx, x.dtype(), [&](auto tag) -> Status {
      using S = typename decltype(tag)::type;
      const Storage<S>* src = x.data<Storage<S>>();
      for (int64_t i = 0; i < n; ++i) dst[i] = NumberText(Load<S>(src[i]));
      return Status::Ok();
    });
  }
  const std::string* src = x.data<std::string>();
  Tensor& y = ctx.Allocate(0, to, x.shape());
  const bool to_bool = to == DType::kBool;
  return VisitAny(ctx, to, [&](auto tag) -> Status {
    using D = typename decltype(tag)::type;
    Storage<D>* dst = y.data<Storage<D>>();
    for (int64_t i = 0; i < n; ++i) {
      const std::string& s = src[i];
      char* end = nullptr;
      errno = 0;
      if (to_bool && (s == "true" || s == "false")) {
        dst[i] = s == "true";
      } else if constexpr (std::is_floating_point_v<D> || std::is_same_v<D, F16> ||
                           std::is_same_v<D, BF16>) {
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size())
          return ctx.Error("cannot read '" + s + "' as " + DTypeName(to));
        dst[i] = Convert<D>(v, to_bool);
      } else {
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE)
          return ctx.Error("cannot read '" + s + "' as " + DTypeName(to));
        dst[i] = Convert<D>(v, to_bool);
      }
    }
    return Status::Ok();
  });
}

Status CastTo(KernelContext& ctx, const Tensor& x, DType to) {
  if (x.dtype() != to && (to == DType::kString || x.dtype() == DType::kString)) {
    return CastStrings(ctx, x, to);
  }
  if (x.dtype() == to) {
    ctx.SetOutput(0, x);
    return Status::Ok();
  }
  Tensor& y = ctx.Allocate(0, to, x.shape());
  const bool to_bool = to == DType::kBool;
  return VisitAny(ctx, x.dtype(), [&](auto src_tag) -> Status {
    using S = typename decltype(src_tag)::type;
    return VisitAny(ctx, to, [&](auto dst_tag) -> Status {
      using D = typename decltype(dst_tag)::type;
      const Storage<S>* src = x.data<Storage<S>>();
      Storage<D>* dst = y.data<Storage<D>>();
      ParallelFor(ctx.pool(), x.numel(), cost::kCheap, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dst[i] = Convert<D>(Load<S>(src[i]), to_bool);
      });
      return Status::Ok();
    });
  });
}

DType DTypeFromName(const std::string& name) {
  static const std::map<std::string, DType> kNames = {
      {"FLOAT", DType::kFloat32},   {"UINT8", DType::kUInt8},      {"INT8", DType::kInt8},
      {"UINT16", DType::kUInt16},   {"INT16", DType::kInt16},      {"INT32", DType::kInt32},
      {"INT64", DType::kInt64},     {"STRING", DType::kString},    {"BOOL", DType::kBool},
      {"FLOAT16", DType::kFloat16}, {"DOUBLE", DType::kFloat64},   {"UINT32", DType::kUInt32},
      {"UINT64", DType::kUInt64},   {"BFLOAT16", DType::kBFloat16}};
  auto it = kNames.find(name);
  return it == kNames.end() ? DType::kUndefined : it->second;
}

Status Cast(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  const Attribute* a = ctx.node().attr("to");
  if (!a) return ctx.Error("attribute 'to' is required");
  // Opset 1 names the type as a string ("FLOAT"); later opsets by its TensorProto number.
  DType to = a->kind == Attribute::Kind::kString ? DTypeFromName(a->s)
                                                 : DTypeFromOnnx(static_cast<int32_t>(a->i));
  if (to == DType::kUndefined) {
    return ctx.Unsupported("attribute 'to' names a type the engine does not hold");
  }
  return CastTo(ctx, *x, to);
}

Status CastLike(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* like, ctx.Required(1));
  return CastTo(ctx, *x, like->dtype());
}

}  // namespace

void RegisterCastKernels(KernelRegistry& r) {
  r.Add("Cast", Cast);
  r.Add("CastLike", CastLike, 15);
}

}  // namespace ipfs_accelerate::engine::cpu
