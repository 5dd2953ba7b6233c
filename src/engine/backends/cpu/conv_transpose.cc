// ConvTranspose: float32 through oneDNN's deconvolution (weights packed once per node), else
// a direct scatter loop: every input pixel adds its weighted kernel to the output. Pads may come
// out negative when output_shape asks for more than the natural size (the loop handles those).
#include <cstring>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/backends/cpu/packed_weights.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

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
  ParallelFor(ctx.pool(), N * M, cg * k_size * in_size * cost::kScalarMac,
              [&](int64_t begin, int64_t end) {
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

using dnnl::memory;

struct DeconvPrimitive {
  dnnl::deconvolution_forward deconv;
  memory::desc src_plain, weights_plain, dst_plain, bias_desc;
  memory::desc src_md, weights_md, dst_md, scratchpad_md;
};

memory::dims Dims(const Shape& s) { return memory::dims(s.begin(), s.end()); }

// 2-D only (the case models use); ONNX W is [C, M/group, kh, kw]: oneDNN's "iohw" order.
DeconvPrimitive BuildDeconv(const Shape& x, const Shape& w, int64_t group, bool has_bias,
                            const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                            const std::vector<int64_t>& pb, const std::vector<int64_t>& pe,
                            const Shape& y) {
  using tag = memory::format_tag;
  auto f32 = memory::data_type::f32;
  DeconvPrimitive p;
  p.src_plain = memory::desc(Dims(x), f32, tag::nchw);
  p.dst_plain = memory::desc(Dims(y), f32, tag::nchw);
  int64_t mg = w[1], cg = w[0] / group;
  memory::dims wd =
      group > 1 ? memory::dims{group, mg, cg, w[2], w[3]} : memory::dims{mg, cg, w[2], w[3]};
  p.weights_plain = memory::desc(wd, f32, group > 1 ? tag::giohw : tag::iohw);
  memory::dims d = {dil[0] - 1, dil[1] - 1};
  auto any = tag::any;
  memory::desc src_any(Dims(x), f32, any), dst_any(Dims(y), f32, any), w_any(wd, f32, any);
  auto alg = dnnl::algorithm::deconvolution_direct;
  auto kind = dnnl::prop_kind::forward_inference;
  if (has_bias) p.bias_desc = memory::desc({y[1]}, f32, tag::a);
  auto desc = has_bias
                  ? dnnl::deconvolution_forward::desc(kind, alg, src_any, w_any, p.bias_desc,
                                                      dst_any, Dims(strides), d, Dims(pb), Dims(pe))
                  : dnnl::deconvolution_forward::desc(kind, alg, src_any, w_any, dst_any,
                                                      Dims(strides), d, Dims(pb), Dims(pe));
  dnnl::deconvolution_forward::primitive_desc pd(desc, onednn::UserScratchpad(), onednn::Engine());
  p.deconv = dnnl::deconvolution_forward(pd);
  p.src_md = pd.src_desc();
  p.weights_md = pd.weights_desc();
  p.dst_md = pd.dst_desc();
  p.scratchpad_md = pd.scratchpad_desc();
  return p;
}

// False when oneDNN cannot run this one (the caller falls back to the loop).
bool RunOnednnDeconv(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b,
                     int64_t group, const std::vector<int64_t>& strides,
                     const std::vector<int64_t>& dil, const std::vector<int64_t>& pb,
                     const std::vector<int64_t>& pe, Tensor& y) {
  if (x.rank() != 4) return false;
  for (size_t i = 0; i < 2; ++i) {
    if (pb[i] < 0 || pe[i] < 0) return false;
  }
  std::string key = ShapeToString(x.shape()) + ShapeToString(w.shape()) + std::to_string(group) +
                    (b ? "b" : "") + ShapeToString(strides) + ShapeToString(dil) +
                    ShapeToString(pb) + ShapeToString(pe);
  int threads = ctx.pool() ? ctx.pool()->size() : 1;
  try {
    onednn::SetThreads(threads);
    dnnl::engine& eng = onednn::Engine();
    dnnl::stream stream(eng);
    memory weights;
    std::shared_ptr<const DeconvPrimitive> prim = PrimitiveWithWeights<DeconvPrimitive>(
        ctx, "deconv", key, threads, w, stream,
        [&] {
          return BuildDeconv(x.shape(), w.shape(), group, b != nullptr, strides, dil, pb, pe,
                             y.shape());
        },
        &weights);
    if (!prim) return false;
    memory src(prim->src_plain, eng, const_cast<void*>(x.raw()));
    memory dst_plain(prim->dst_plain, eng, y.raw());
    memory dst = dst_plain;
    if (prim->src_md != prim->src_plain) {
      memory packed(prim->src_md, eng);
      dnnl::reorder(src, packed).execute(stream, src, packed);
      src = packed;
    }
    if (prim->dst_md != prim->dst_plain) dst = memory(prim->dst_md, eng);
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (b) args[DNNL_ARG_BIAS] = memory(prim->bias_desc, eng, const_cast<void*>(b->raw()));
    onednn::Execute(prim->deconv, prim->scratchpad_md, stream, std::move(args));
    if (dst != dst_plain) dnnl::reorder(dst, dst_plain).execute(stream, dst, dst_plain);
    stream.wait();
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

// The upsampling case (2-D, stride = kernel, no padding, dilation or groups): the output tiles
// without overlap, so it is one GEMM, [M·kh·kw, C] × [C, H·W], and a scatter of its rows.
// oneDNN's deconvolution pads few output channels to 16 (a 1-channel head ran 16× the work).
bool RunTiledConvTranspose(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b,
                           int64_t group, const std::vector<int64_t>& kernel,
                           const std::vector<int64_t>& strides, const std::vector<int64_t>& dil,
                           const std::vector<int64_t>& pb, const std::vector<int64_t>& pe,
                           Tensor& y) {
  if (x.rank() != 4 || group != 1 || strides != kernel || dil != std::vector<int64_t>{1, 1} ||
      pb != std::vector<int64_t>{0, 0} || pe != std::vector<int64_t>{0, 0}) {
    return false;
  }
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), M = w.dim(1);
  int64_t kh = kernel[0], kw = kernel[1], rows = M * kh * kw, hw = H * W;
  // W is [C, M·kh·kw] row-major: the GEMM's A is its transpose.
  std::vector<float> cols(static_cast<size_t>(rows * hw));
  const float* bias = b ? b->data<float>() : nullptr;
  for (int64_t n = 0; n < N; ++n) {
    if (!onednn::Sgemm(true, false, rows, hw, C, 1.0f, w.data<float>(), rows,
                       x.data<float>() + n * C * hw, hw, 0.0f, cols.data(), hw, ctx.pool())) {
      return false;
    }
    float* yn = y.data<float>() + n * M * hw * kh * kw;
    int64_t OW = W * kw;
    ParallelFor(ctx.pool(), M * H, kh * OW, [&](int64_t begin, int64_t end) {
      for (int64_t mi = begin; mi < end; ++mi) {
        int64_t m = mi / H, i = mi % H;
        float add = bias ? bias[m] : 0.0f;
        for (int64_t ki = 0; ki < kh; ++ki) {
          float* out_row = yn + (m * H * kh + i * kh + ki) * OW;
          for (int64_t kj = 0; kj < kw; ++kj) {
            const float* src = cols.data() + ((m * kh + ki) * kw + kj) * hw + i * W;
            for (int64_t j = 0; j < W; ++j) out_row[j * kw + kj] = src[j] + add;
          }
        }
      }
    });
  }
  return true;
}

Status ConvTranspose(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* b = ctx.input(2);
  if (b && !b->defined()) b = nullptr;
  int64_t group = ctx.GetInt("group", 1);
  IA_ASSIGN_OR_RETURN(ops::WindowGeometry g,
                      ops::ConvTransposeWindow(ctx.node(), x->shape(), w->shape()));
  if (x->dtype() != w->dtype() || (b && b->dtype() != x->dtype()))
    return ctx.Error("X, W and B must share a dtype");
  int64_t M = g.output[1];
  if (b && (b->rank() != 1 || b->dim(0) != M)) {
    return ctx.Error("B must be [" + std::to_string(M) + "], got " + ShapeToString(b->shape()));
  }
  const std::vector<int64_t>&kernel = g.kernel, &strides = g.strides, &dil = g.dilations;
  const std::vector<int64_t>&pads_begin = g.pads_begin, &pads_end = g.pads_end;
  Tensor& y = ctx.Allocate(0, x->dtype(), g.output);
  if (y.numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      if (RunTiledConvTranspose(ctx, *x, *w, b, group, kernel, strides, dil, pads_begin, pads_end,
                                y)) {
        break;
      }
      if (RunOnednnDeconv(ctx, *x, *w, b, group, strides, dil, pads_begin, pads_end, y)) break;
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
