// Quantized convolutions: ConvInteger (int32 out) and QLinearConv (requantized out), as a direct
// int32-accumulating loop; weight zero points and scales per tensor or per output channel.
// ConvInteger of uint8 X and int8 W with zero point 0 (onnxruntime's dynamic quantization of a
// Conv) runs on oneDNN's int8 convolution instead (conv.cc).
#include <algorithm>
#include <cmath>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::cpu {

using ops::WindowGeometry;

// conv.cc: false when oneDNN does not run this one (other types, a nonzero W zero point, 4-D+).
bool IntegerConvOnednn(KernelContext& ctx, const Tensor& x, int32_t x_zero_point, const Tensor& w,
                       int64_t group, const WindowGeometry& g, Tensor& y);

namespace {

bool IsQuant(const Tensor* t) {
  return t && (t->dtype() == DType::kUInt8 || t->dtype() == DType::kInt8);
}

int32_t LoadQ(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUInt8 ? static_cast<int32_t>(t.data<uint8_t>()[i])
                                    : static_cast<int32_t>(t.data<int8_t>()[i]);
}

// Value `i` of a per-tensor or per-channel parameter, or `fallback` when it is absent.
int32_t ZeroPoint(const Tensor* t, int64_t i) { return t ? LoadQ(*t, t->numel() == 1 ? 0 : i) : 0; }

// Checks the inputs and computes the window and the output shape.
Status PlanIntegerConv(const KernelContext& ctx, const Tensor& x, const Tensor* xzp,
                       const Tensor& w, const Tensor* wzp, Shape* y_shape,
                       WindowGeometry* geometry) {
  IA_ASSIGN_OR_RETURN(*geometry, ops::ConvWindow(ctx.node(), x.shape(), w.shape()));
  if (xzp && xzp->numel() != 1)
    return ctx.Error("x_zero_point must be a scalar, got " + ShapeToString(xzp->shape()));
  if (wzp && wzp->numel() != 1 && wzp->numel() != w.dim(0)) {
    return ctx.Error("w_zero_point must hold 1 or " + std::to_string(w.dim(0)) + " values");
  }
  *y_shape = geometry->output;
  return Status::Ok();
}

// Calls store(n * M + m, m, output_position, out_size, acc) with acc = sum (x - xzp) * (w -
// wzp[m]).
template <typename Store>
void IntegerConv(KernelContext& ctx, const Tensor& x, const Tensor* xzp, const Tensor& w,
                 const Tensor* wzp, const WindowGeometry& g, const Store& store) {
  int64_t group = ctx.GetInt("group", 1);
  int nd = g.nd;
  int64_t C = x.dim(1), M = w.dim(0), cg = C / group, mg = M / group;
  int64_t in_size = NumElements(g.in), out_size = NumElements(g.out),
          k_size = NumElements(g.kernel);
  int32_t xz = ZeroPoint(xzp, 0);
  ParallelFor(ctx.pool(), x.dim(0) * M, cg * k_size * out_size * cost::kScalarMac,
              [&](int64_t begin, int64_t end) {
                std::vector<int64_t> o(nd), kk(nd);
                for (int64_t nm = begin; nm < end; ++nm) {
                  int64_t n = nm / M, m = nm % M, grp = m / mg;
                  int32_t wz = ZeroPoint(wzp, m);
                  for (int64_t op = 0; op < out_size; ++op) {
                    int64_t rem = op;
                    for (int d = nd - 1; d >= 0; --d) {
                      o[d] = rem % g.out[d];
                      rem /= g.out[d];
                    }
                    int32_t acc = 0;
                    for (int64_t kp = 0; kp < k_size; ++kp) {
                      int64_t krem = kp, ioff = 0;
                      for (int d = nd - 1; d >= 0; --d) {
                        kk[d] = krem % g.kernel[d];
                        krem /= g.kernel[d];
                      }
                      bool inside = true;
                      for (int d = 0; d < nd && inside; ++d) {
                        int64_t i = o[d] * g.strides[d] + kk[d] * g.dilations[d] - g.pads_begin[d];
                        inside = i >= 0 && i < g.in[d];
                        ioff = ioff * g.in[d] + i;
                      }
                      if (!inside) continue;  // padding holds the zero point: contributes nothing
                      for (int64_t c = 0; c < cg; ++c) {
                        acc += (LoadQ(x, (n * C + grp * cg + c) * in_size + ioff) - xz) *
                               (LoadQ(w, (m * cg + c) * k_size + kp) - wz);
                      }
                    }
                    store(nm, m, op, out_size, acc);
                  }
                }
              });
}

const Tensor* Optional(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

Status ConvInteger(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor *xzp = Optional(ctx, 2), *wzp = Optional(ctx, 3);
  if (!IsQuant(x) || !IsQuant(w)) return ctx.Error("x and w must be uint8 or int8");
  Shape y_shape;
  WindowGeometry g;
  IA_RETURN_IF_ERROR(PlanIntegerConv(ctx, *x, xzp, *w, wzp, &y_shape, &g));
  Tensor& out = ctx.Allocate(0, DType::kInt32, y_shape);
  const bool w_zero = !wzp || std::all_of(static_cast<const uint8_t*>(wzp->raw()),
                                          static_cast<const uint8_t*>(wzp->raw()) + wzp->nbytes(),
                                          [](uint8_t v) { return v == 0; });
  if (out.numel() > 0 && w_zero && x->dtype() == DType::kUInt8 &&
      IntegerConvOnednn(ctx, *x, ZeroPoint(xzp, 0), *w, ctx.GetInt("group", 1), g, out)) {
    return Status::Ok();
  }
  int32_t* y = out.data<int32_t>();
  IntegerConv(
      ctx, *x, xzp, *w, wzp, g,
      [&](int64_t nm, int64_t, int64_t op, int64_t os, int32_t acc) { y[nm * os + op] = acc; });
  return Status::Ok();
}

Status QLinearConv(KernelContext& ctx) {
  const Tensor* in[8];
  for (int i = 0; i < 8; ++i) {
    IA_ASSIGN_OR_RETURN(in[i], ctx.Required(i));
  }
  const Tensor *x = in[0], *xzp = in[2], *w = in[3], *wzp = in[5], *yzp = in[7];
  const Tensor* bias = Optional(ctx, 8);
  if (!IsQuant(x) || !IsQuant(w) || !IsQuant(yzp))
    return ctx.Error("x, w and y_zero_point must be uint8 or int8");
  for (int i : {1, 4, 6}) {
    if (in[i]->dtype() != DType::kFloat32)
      return ctx.Error("scales must be float32, got " + DTypeName(in[i]->dtype()));
  }
  Shape y_shape;
  WindowGeometry g;
  IA_RETURN_IF_ERROR(PlanIntegerConv(ctx, *x, xzp, *w, wzp, &y_shape, &g));
  if (in[1]->numel() != 1 || in[6]->numel() != 1 || yzp->numel() != 1) {
    return ctx.Error("x_scale, y_scale and y_zero_point must be scalars");
  }
  if (in[4]->numel() != 1 && in[4]->numel() != w->dim(0)) {
    return ctx.Error("w_scale must hold 1 or " + std::to_string(w->dim(0)) + " values");
  }
  if (bias && (bias->dtype() != DType::kInt32 || bias->numel() != w->dim(0))) {
    return ctx.Error("B must be int32 [" + std::to_string(w->dim(0)) + "]");
  }
  DType yt = yzp->dtype();
  Tensor& y = ctx.Allocate(0, yt, y_shape);
  float x_scale = in[1]->data<float>()[0], y_scale = in[6]->data<float>()[0];
  const Tensor* w_scale = in[4];
  int32_t y_zero = ZeroPoint(yzp, 0);
  float lo = yt == DType::kUInt8 ? 0.f : -128.f, hi = yt == DType::kUInt8 ? 255.f : 127.f;
  IntegerConv(
      ctx, *x, xzp, *w, wzp, g, [&](int64_t nm, int64_t m, int64_t op, int64_t os, int32_t acc) {
        if (bias) acc += bias->data<int32_t>()[m];
        float scale = x_scale * w_scale->data<float>()[w_scale->numel() == 1 ? 0 : m] / y_scale;
        float q = std::clamp(
            std::nearbyint(static_cast<float>(acc) * scale) + static_cast<float>(y_zero), lo, hi);
        if (yt == DType::kUInt8) {
          y.data<uint8_t>()[nm * os + op] = static_cast<uint8_t>(q);
        } else {
          y.data<int8_t>()[nm * os + op] = static_cast<int8_t>(q);
        }
      });
  return Status::Ok();
}

}  // namespace

void RegisterQuantizedConvKernels(KernelRegistry& r) {
  r.Add("ConvInteger", ConvInteger, 10);
  r.Add("QLinearConv", QLinearConv, 10);
}

}  // namespace ipfs_accelerate::engine::cpu
