// ConvTranspose as a direct scatter loop: every input pixel adds its weighted kernel to the
// output. Pads may come out negative when output_shape asks for more than the natural size.
#include <cstring>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/linalg_parallel.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

int64_t FloorDiv2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

template <typename T>
void ScatterConvTranspose(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b,
                          int64_t group, const std::vector<int64_t>& kernel,
                          const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                          const std::vector<int64_t>& pads_begin, Tensor& y) {
  int nd = x.rank() - 2;
  int64_t N = x.dim(0), C = x.dim(1), cg = C / group, mg = w.dim(1), M = mg * group;
  Shape in(x.shape().begin() + 2, x.shape().end()), out(y.shape().begin() + 2, y.shape().end());
  int64_t in_size = NumElements(in), out_size = NumElements(out), k_size = NumElements(kernel);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = y.data<T>();
  ParallelFor(ctx.pool(), N * M, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> acc(out_size);
    std::vector<int64_t> ip(nd), kk(nd);
    for (int64_t nm = begin; nm < end; ++nm) {
      int64_t n = nm / M, m = nm % M, grp = m / mg, ml = m % mg;
      std::fill(acc.begin(), acc.end(), b ? static_cast<double>(b->data<T>()[m]) : 0.0);
      for (int64_t c = 0; c < cg; ++c) {
        const T* xc = px + (n * C + grp * cg + c) * in_size;
        const T* wc = pw + ((grp * cg + c) * mg + ml) * k_size;
        for (int64_t i = 0; i < in_size; ++i) {
          double xv = static_cast<double>(xc[i]);
          if (xv == 0) continue;
          int64_t rem = i;
          for (int d = nd - 1; d >= 0; --d) {
            ip[d] = rem % in[d];
            rem /= in[d];
          }
          for (int64_t kp = 0; kp < k_size; ++kp) {
            int64_t krem = kp, ooff = 0;
            for (int d = nd - 1; d >= 0; --d) {
              kk[d] = krem % kernel[d];
              krem /= kernel[d];
            }
            bool inside = true;
            for (int d = 0; d < nd && inside; ++d) {
              int64_t o = ip[d] * strides[d] + kk[d] * dil[d] - pads_begin[d];
              inside = o >= 0 && o < out[d];
              ooff = ooff * out[d] + o;
            }
            if (inside) acc[ooff] += xv * static_cast<double>(wc[kp]);
          }
        }
      }
      T* yo = py + nm * out_size;
      for (int64_t o = 0; o < out_size; ++o) yo[o] = static_cast<T>(acc[o]);
    }
  });
}

Status ConvTranspose(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* b = ctx.input(2);
  if (b && !b->defined()) b = nullptr;
  int64_t group = ctx.GetInt("group", 1);
  if (x->rank() < 3 || w->rank() != x->rank()) {
    return ctx.Error("X must be [N, C, spatial...] and W of the same rank, got X " +
                     ShapeToString(x->shape()) + " and W " + ShapeToString(w->shape()));
  }
  if (x->dtype() != w->dtype() || (b && b->dtype() != x->dtype()))
    return ctx.Error("X, W and B must share a dtype");
  if (group < 1 || x->dim(1) % group != 0 || w->dim(0) != x->dim(1)) {
    return ctx.Error("input has " + std::to_string(x->dim(1)) + " channels but W " +
                     ShapeToString(w->shape()) + " with group " + std::to_string(group) +
                     " expects " + std::to_string(w->dim(0)));
  }
  int64_t M = w->dim(1) * group;
  if (b && (b->rank() != 1 || b->dim(0) != M)) {
    return ctx.Error("B must be [" + std::to_string(M) + "], got " + ShapeToString(b->shape()));
  }
  size_t nd = x->rank() - 2;
  std::vector<int64_t> kernel =
      ctx.GetInts("kernel_shape", Shape(w->shape().begin() + 2, w->shape().end()));
  std::vector<int64_t> strides = ctx.GetInts("strides", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> dil = ctx.GetInts("dilations", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> out_pad = ctx.GetInts("output_padding", std::vector<int64_t>(nd, 0));
  std::vector<int64_t> pads = ctx.GetInts("pads", std::vector<int64_t>(2 * nd, 0));
  std::vector<int64_t> out_shape_attr = ctx.GetInts("output_shape");
  std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  if (kernel.size() != nd || strides.size() != nd || dil.size() != nd || out_pad.size() != nd ||
      pads.size() != 2 * nd) {
    return ctx.Error("kernel_shape, strides, dilations, output_padding or pads do not match " +
                     std::to_string(nd) + " spatial dims");
  }
  if (!out_shape_attr.empty() && out_shape_attr.size() == nd + 2)
    out_shape_attr.erase(out_shape_attr.begin(), out_shape_attr.begin() + 2);
  if (!out_shape_attr.empty() && out_shape_attr.size() != nd) {
    return ctx.Error("output_shape " + ShapeToString(out_shape_attr) + " does not match " +
                     std::to_string(nd) + " spatial dims");
  }
  Shape y_shape = {x->dim(0), M};
  std::vector<int64_t> pads_begin(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (strides[i] < 1 || dil[i] < 1 || kernel[i] < 1)
      return ctx.Error("strides, dilations and kernel_shape must be positive");
    int64_t in = x->dim(static_cast<int>(i) + 2);
    int64_t natural = strides[i] * (in - 1) + out_pad[i] + (kernel[i] - 1) * dil[i] + 1;
    int64_t out;
    if (!out_shape_attr.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = !out_shape_attr.empty() ? out_shape_attr[i] : in * strides[i];
      int64_t total = natural - out;
      // The spec: SAME_UPPER puts the smaller half first, everything else the larger half.
      pads_begin[i] = auto_pad == "SAME_UPPER" ? FloorDiv2(total) : total - FloorDiv2(total);
    } else {
      pads_begin[i] = auto_pad == "VALID" ? 0 : pads[i];
      out = natural - pads_begin[i] - (auto_pad == "VALID" ? 0 : pads[i + nd]);
    }
    if (out < 0)
      return ctx.Error("output size " + std::to_string(out) + " on spatial axis " +
                       std::to_string(i) + " is negative");
    y_shape.push_back(out);
  }
  Tensor& y = ctx.Allocate(0, x->dtype(), y_shape);
  if (y.numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      ScatterConvTranspose<float>(ctx, *x, *w, b, group, kernel, strides, dil, pads_begin, y);
      break;
    case DType::kFloat64:
      ScatterConvTranspose<double>(ctx, *x, *w, b, group, kernel, strides, dil, pads_begin, y);
      break;
    default:
      return ctx.Unsupported("ConvTranspose of dtype " + DTypeName(x->dtype()));
  }
  return Status::Ok();
}

}  // namespace

void RegisterConvTransposeKernels(KernelRegistry& r) { r.Add("ConvTranspose", ConvTranspose); }

}  // namespace ipfs_accelerate::engine::cpu
