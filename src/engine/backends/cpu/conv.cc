// Convolutions: Conv (float32 through oneDNN, other dtypes through a direct loop) and
// ConvTranspose (direct loop). Pooling lives in conv_pool.cc.
#include <cstring>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/low_precision.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/backends/cpu/packed_weights.h"
#include "engine/ops/fused.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterPoolKernels(KernelRegistry& r);
void RegisterConvTransposeKernels(KernelRegistry& r);
void RegisterQuantizedConvKernels(KernelRegistry& r);
void RegisterNhwcPoolKernels(KernelRegistry& r);

namespace {

using dnnl::memory;
using ops::WindowGeometry;

// A convolution primitive for one set of shapes and attributes, with the reorders between our
// plain layouts and the blocked layouts oneDNN chose.
struct ConvPrimitive {
  dnnl::convolution_forward conv;
  memory::desc src_plain, weights_plain, dst_plain, bias_desc;
  memory::desc src_md, weights_md, dst_md, scratchpad_md;
  bool has_bias = false;
};

memory::dims ToDims(const std::vector<int64_t>& v) { return memory::dims(v.begin(), v.end()); }

memory::format_tag PlainTag(int rank) {
  switch (rank) {
    case 3:
      return memory::format_tag::abc;
    case 4:
      return memory::format_tag::abcd;
    case 5:
      return memory::format_tag::abcde;
    default:
      return memory::format_tag::abcdef;
  }
}

// What a fused convolution applies after the sum (engine/ops/fused.h).
struct ConvEpilogue {
  bool sum = false;  // dst += Z (a residual Add)
  ops::Activation activation;
  // int8 (QuantizedConv): the accumulator times a scale per output channel, plus the bias, both
  // as binary post-ops over `channels`, before the sum.
  int64_t channels = 0;  // 0: none of these
  bool bias = false;

  std::string Key() const {
    return std::string(sum ? "+z" : "") + ops::ActivationName(activation.kind) + "," +
           std::to_string(activation.p0) + "," + std::to_string(activation.p1) +
           (channels ? "*s" + std::to_string(channels) + (bias ? "+b" : "") : "");
  }
};

// What an int8 convolution adds to its inputs: X is uint8 with one scale and zero point, W int8
// with a scale per output channel (NhwcConv's inputs 4 to 6; LowerPrecision writes them).
struct QuantizedConv {
  float x_scale = 1.f;
  int32_t x_zero_point = 0;
  const float* w_scale = nullptr;  // [M]
};

// The oneDNN post-ops for `e`.
void AppendPostOps(const ConvEpilogue& e, dnnl::post_ops* post) {
  if (e.channels > 0) {
    memory::desc per_channel({1, e.channels, 1, 1}, memory::data_type::f32,
                             memory::format_tag::abcd);
    post->append_binary(dnnl::algorithm::binary_mul, per_channel);
    if (e.bias) post->append_binary(dnnl::algorithm::binary_add, per_channel);
  }
  if (e.sum) post->append_sum(1.0f);
  onednn::AppendActivation(e.activation, post);
}

// `x`, `w` and `y` are logical NCHW(-like) shapes; `act_tag` is the layout of src and dst
// (`any` lets oneDNN pick and the kernel reorders from and to plain; nhwc is used as is).
// `src_type` and `weights_type` are f32, bf16 and bf16, or u8 and s8 (with a runtime zero point
// of src); dst is f32, or s32 for u8 x s8 without post-ops (ConvInteger).
ConvPrimitive BuildConv(const Shape& x, const Shape& w, int64_t group, bool has_bias,
                        const WindowGeometry& g, const Shape& y, memory::format_tag act_tag,
                        const ConvEpilogue& epilogue,
                        memory::data_type src_type = memory::data_type::f32,
                        memory::data_type weights_type = memory::data_type::f32,
                        memory::data_type dst_type = memory::data_type::f32) {
  ConvPrimitive p;
  auto f32 = memory::data_type::f32;
  int rank = static_cast<int>(x.size());
  bool fixed = act_tag != memory::format_tag::any;
  p.src_plain = memory::desc(ToDims(x), src_type, fixed ? act_tag : PlainTag(rank));
  p.dst_plain = memory::desc(ToDims(y), dst_type, fixed ? act_tag : PlainTag(rank));
  if (group > 1) {
    Shape gw = {group, w[0] / group};
    gw.insert(gw.end(), w.begin() + 1, w.end());
    p.weights_plain = memory::desc(ToDims(gw), weights_type, PlainTag(rank + 1));
  } else {
    p.weights_plain = memory::desc(ToDims(w), weights_type, PlainTag(rank));
  }
  p.has_bias = has_bias;
  if (has_bias) p.bias_desc = memory::desc({w[0]}, f32, memory::format_tag::a);
  memory::dims dil;
  for (int64_t d : g.dilations) dil.push_back(d - 1);
  memory::desc src_any(ToDims(x), src_type, act_tag), dst_any(ToDims(y), dst_type, act_tag),
      w_any(p.weights_plain.dims(), weights_type, memory::format_tag::any);
  auto kind = dnnl::prop_kind::forward_inference;
  auto alg = dnnl::algorithm::convolution_direct;
  auto desc = has_bias ? dnnl::convolution_forward::desc(kind, alg, src_any, w_any, p.bias_desc,
                                                         dst_any, ToDims(g.strides), dil,
                                                         ToDims(g.pads_begin), ToDims(g.pads_end))
                       : dnnl::convolution_forward::desc(kind, alg, src_any, w_any, dst_any,
                                                         ToDims(g.strides), dil,
                                                         ToDims(g.pads_begin), ToDims(g.pads_end));
  dnnl::post_ops post;
  AppendPostOps(epilogue, &post);
  dnnl::primitive_attr attr;
  attr.set_post_ops(post);
  if (src_type == memory::data_type::u8) {
    attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  }
  dnnl::convolution_forward::primitive_desc pd(desc, onednn::UserScratchpad(attr),
                                               onednn::Engine());
  p.conv = dnnl::convolution_forward(pd);
  p.src_md = pd.src_desc();
  p.weights_md = pd.weights_desc();
  p.dst_md = pd.dst_desc();
  p.scratchpad_md = pd.scratchpad_desc();
  return p;
}

std::string ConvKey(const Shape& x, const Shape& w, int64_t group, bool bias,
                    const WindowGeometry& g) {
  std::string key = ShapeToString(x) + ShapeToString(w) + std::to_string(group) +
                    (bias ? "b" : "") + ShapeToString(g.strides) + ShapeToString(g.dilations) +
                    ShapeToString(g.pads_begin) + ShapeToString(g.pads_end);
  return key;
}

// Runs a cached oneDNN convolution; false when oneDNN cannot do this one.
// Copies `z` into `y`, repeating z's size-1 dimensions (both 4-D; the caller checked).
void BroadcastInto(const Tensor& z, Tensor& y) {
  if (z.shape() == y.shape()) {
    std::memcpy(y.raw(), z.raw(), y.nbytes());
    return;
  }
  const Shape& ys = y.shape();
  const Shape& zs = z.shape();
  const float* pz = z.data<float>();
  float* py = y.data<float>();
  for (int64_t a = 0; a < ys[0]; ++a) {
    for (int64_t b = 0; b < ys[1]; ++b) {
      for (int64_t c = 0; c < ys[2]; ++c) {
        const float* row = pz + (((zs[0] == 1 ? 0 : a) * zs[1] + (zs[1] == 1 ? 0 : b)) * zs[2] +
                                 (zs[2] == 1 ? 0 : c)) *
                                    zs[3];
        float* out = py + ((a * ys[1] + b) * ys[2] + c) * ys[3];
        for (int64_t d = 0; d < ys[3]; ++d) out[d] = row[zs[3] == 1 ? 0 : d];
      }
    }
  }
}

// `xs` and `ys` are the logical NCHW shapes of x and y (their real shapes when act_tag is any).
bool RunOnednnConv(KernelContext& ctx, const Tensor& x, const Shape& xs, const Tensor& w,
                   const Tensor* b, int64_t group, const WindowGeometry& g, Tensor& y,
                   const Shape& ys, memory::format_tag act_tag = memory::format_tag::any,
                   const ConvEpilogue& epilogue = {}, const Tensor* z = nullptr,
                   const QuantizedConv* quantized = nullptr) {
  int threads = ctx.pool() ? ctx.pool()->size() : 1;
  // bfloat16 weights (LowerPrecision): X is rounded to bfloat16 too, Y stays float32. int8
  // weights: X is uint8 already, and the bias is a post-op after the channels' scales.
  const bool bf16 = w.dtype() == DType::kBFloat16;
  const bool int8 = quantized != nullptr;
  using dt = memory::data_type;
  const dt src_type = int8 ? dt::u8 : bf16 ? dt::bf16 : dt::f32;
  const dt weights_type = int8 ? dt::s8 : bf16 ? dt::bf16 : dt::f32;
  // int8 without channel scales: ConvInteger's int32 sums, nothing after them.
  const bool integer = int8 && quantized->w_scale == nullptr;
  const dt dst_type = integer ? dt::s32 : dt::f32;
  const Tensor* conv_bias = int8 ? nullptr : b;
  ConvEpilogue e = epilogue;
  Tensor channel_scale;
  if (int8 && !integer) {
    e.channels = w.dim(0);
    e.bias = b != nullptr;
    channel_scale = Tensor::Empty(DType::kFloat32, {e.channels});
    for (int64_t m = 0; m < e.channels; ++m) {
      channel_scale.data<float>()[m] = quantized->x_scale * quantized->w_scale[m];
    }
  }
  std::string key = ConvKey(xs, w.shape(), group, conv_bias != nullptr, g) + "/" +
                    std::to_string(static_cast<int>(act_tag)) + e.Key() +
                    (bf16      ? "/bf16"
                     : integer ? "/s8s32"
                     : int8    ? "/s8"
                               : "");
  Tensor x_low;
  if (bf16) {
    x_low = Tensor::Empty(DType::kBFloat16, x.shape());
    RoundToBFloat16(ctx.pool(), x.data<float>(), x.numel(), x_low.data<uint16_t>());
  }
  try {
    onednn::SetThreads(threads);
    dnnl::engine& eng = onednn::Engine();
    dnnl::stream stream(eng);
    memory weights;
    std::shared_ptr<const ConvPrimitive> prim = PrimitiveWithWeights<ConvPrimitive>(
        ctx, "conv", key, threads, w, stream,
        [&] {
          return BuildConv(xs, w.shape(), group, conv_bias != nullptr, g, ys, act_tag, e, src_type,
                           weights_type, dst_type);
        },
        &weights);
    if (!prim) return false;
    memory src_plain(prim->src_plain, eng, const_cast<void*>(bf16 ? x_low.raw() : x.raw()));
    memory dst_plain(prim->dst_plain, eng, y.raw());
    memory src = src_plain, dst = dst_plain;
    if (prim->src_md != prim->src_plain) {
      src = memory(prim->src_md, eng);
      dnnl::reorder(src_plain, src).execute(stream, src_plain, src);
    }
    if (prim->dst_md != prim->dst_plain) dst = memory(prim->dst_md, eng);
    if (z) {  // the sum post-op adds to what dst holds (dst is plain here: act_tag is fixed)
      if (dst != dst_plain) return false;
      BroadcastInto(*z, y);
    }
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (conv_bias) {
      args[DNNL_ARG_BIAS] = memory(prim->bias_desc, eng, const_cast<void*>(conv_bias->raw()));
    }
    int32_t zero_point = int8 ? quantized->x_zero_point : 0;
    if (int8 && !integer) {
      memory::desc per_channel({1, e.channels, 1, 1}, dt::f32, memory::format_tag::abcd);
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
          memory(per_channel, eng, channel_scale.raw());
      if (b) {
        args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1] =
            memory(per_channel, eng, const_cast<void*>(b->raw()));
      }
    }
    if (int8) {
      args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] =
          memory({{1}, dt::s32, memory::format_tag::a}, eng, &zero_point);
    }
    onednn::Execute(prim->conv, prim->scratchpad_md, stream, std::move(args));
    if (prim->dst_md != prim->dst_plain)
      dnnl::reorder(dst, dst_plain).execute(stream, dst, dst_plain);
    stream.wait();
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

// Direct convolution, accumulating in double; one task per (image, output channel).
template <typename T>
void ReferenceConv(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b,
                   int64_t group, const WindowGeometry& g, Tensor& y) {
  int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), cg = C / group, mg = M / group;
  int nd = g.nd;
  int64_t in_size = NumElements(g.in), out_size = NumElements(g.out),
          k_size = NumElements(g.kernel);
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  T* py = y.data<T>();
  ParallelFor(ctx.pool(), N * M, cg * k_size * out_size * cost::kScalarMac,
              [&](int64_t begin, int64_t end) {
                std::vector<int64_t> o(nd), kk(nd);
                for (int64_t nm = begin; nm < end; ++nm) {
                  int64_t n = nm / M, m = nm % M, grp = m / mg;
                  for (int64_t op = 0; op < out_size; ++op) {
                    int64_t rem = op;
                    for (int d = nd - 1; d >= 0; --d) {
                      o[d] = rem % g.out[d];
                      rem /= g.out[d];
                    }
                    double acc = b ? static_cast<double>(b->data<T>()[m]) : 0.0;
                    for (int64_t kp = 0; kp < k_size; ++kp) {
                      int64_t krem = kp, ioff = 0;
                      bool inside = true;
                      for (int d = nd - 1; d >= 0; --d) {
                        kk[d] = krem % g.kernel[d];
                        krem /= g.kernel[d];
                      }
                      for (int d = 0; d < nd && inside; ++d) {
                        int64_t i = o[d] * g.strides[d] + kk[d] * g.dilations[d] - g.pads_begin[d];
                        inside = i >= 0 && i < g.in[d];
                        ioff = ioff * g.in[d] + i;
                      }
                      if (!inside) continue;
                      for (int64_t c = 0; c < cg; ++c) {
                        double xv =
                            static_cast<double>(px[(n * C + grp * cg + c) * in_size + ioff]);
                        double wv = static_cast<double>(pw[(m * cg + c) * k_size + kp]);
                        acc += xv * wv;
                      }
                    }
                    py[nm * out_size + op] = static_cast<T>(acc);
                  }
                }
              });
}

// Checks the dtypes of X, W and B and that B is [M] (ops::ConvWindow checks the shapes).
// X, W and B share a dtype (but W may be bfloat16 with float32 X when `bf16_weights`), and B is
// [M].
Status CheckConvInputs(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b,
                       bool bf16_weights = false) {
  const bool w_ok = x.dtype() == w.dtype() ||
                    (bf16_weights && w.dtype() == DType::kBFloat16 && x.dtype() == DType::kFloat32);
  if (!w_ok || (b && b->dtype() != x.dtype())) {
    return ctx.Error("X, W and B must share a dtype, got " + DTypeName(x.dtype()) + " and " +
                     DTypeName(w.dtype()));
  }
  if (b && (b->rank() != 1 || b->dim(0) != w.dim(0))) {
    return ctx.Error("B must be [" + std::to_string(w.dim(0)) + "], got " +
                     ShapeToString(b->shape()));
  }
  return Status::Ok();
}

Status Conv(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* b = ctx.input(2);
  if (b && !b->defined()) b = nullptr;
  int64_t group = ctx.GetInt("group", 1);
  IA_ASSIGN_OR_RETURN(WindowGeometry g, ops::ConvWindow(ctx.node(), x->shape(), w->shape()));
  IA_RETURN_IF_ERROR(CheckConvInputs(ctx, *x, *w, b));
  Tensor& y = ctx.Allocate(0, x->dtype(), g.output);
  if (y.numel() == 0) return Status::Ok();
  switch (x->dtype()) {
    case DType::kFloat32:
      if (g.nd <= 3 && RunOnednnConv(ctx, *x, x->shape(), *w, b, group, g, y, y.shape())) {
        return Status::Ok();
      }
      ReferenceConv<float>(ctx, *x, *w, b, group, g, y);
      return Status::Ok();
    case DType::kFloat64:
      ReferenceConv<double>(ctx, *x, *w, b, group, g, y);
      return Status::Ok();
    default:
      return ctx.Unsupported("Conv of dtype " + DTypeName(x->dtype()));
  }
}

// NhwcConv (domain ai.ipfs_accelerate, from the optimizer's layout pass): a 2-D Conv on
// X [N, H, W, C] giving Y [N, OH, OW, M], W still [M, C/group, kh, kw]; optional Z (input 3,
// Y's shape) added before `activation` (with `activation_params`). Conv's attributes otherwise.
// LowerPrecision may make W bfloat16 (X is rounded per run), or int8 with w_scale [M] (input 4)
// and X uint8 with x_scale and x_zero_point (inputs 5 and 6, a DynamicQuantizeLinear's).
Status NhwcConv(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* w, ctx.Required(1));
  const Tensor* b = ctx.input(2);
  if (b && !b->defined()) b = nullptr;
  const Tensor* z = ctx.input(3);
  if (z && !z->defined()) z = nullptr;
  int64_t group = ctx.GetInt("group", 1);
  const bool int8 = w->dtype() == DType::kInt8;
  if (x->rank() != 4 || w->rank() != 4 || x->dtype() != (int8 ? DType::kUInt8 : DType::kFloat32)) {
    return ctx.Error(
        "wants X [N, H, W, C] float32 (uint8 with int8 W) and W [M, C/group, kh, kw], got X " +
        DTypeName(x->dtype()) + " " + ShapeToString(x->shape()) + " and W " +
        DTypeName(w->dtype()) + " " + ShapeToString(w->shape()));
  }
  QuantizedConv quantized;
  if (int8) {
    const Tensor* ws = ctx.input(4);
    const Tensor* xscale = ctx.input(5);
    const Tensor* xzero = ctx.input(6);
    if (!ws || !ws->defined() || ws->dtype() != DType::kFloat32 || ws->numel() != w->dim(0) ||
        !xscale || !xscale->defined() || xscale->dtype() != DType::kFloat32 ||
        xscale->numel() != 1 || !xzero || !xzero->defined() || xzero->dtype() != DType::kUInt8 ||
        xzero->numel() != 1 || (b && b->dtype() != DType::kFloat32)) {
      return ctx.Error("int8 W needs w_scale (input 4: " + std::to_string(w->dim(0)) +
                       " float32), x_scale (5: one float32), x_zero_point (6: one uint8) and a "
                       "float32 B");
    }
    quantized = {xscale->data<float>()[0], xzero->data<uint8_t>()[0], ws->data<float>()};
  }
  Shape xs = {x->dim(0), x->dim(3), x->dim(1), x->dim(2)};
  IA_ASSIGN_OR_RETURN(WindowGeometry g, ops::ConvWindow(ctx.node(), xs, w->shape()));
  if (!int8) IA_RETURN_IF_ERROR(CheckConvInputs(ctx, *x, *w, b, /*bf16_weights=*/true));
  const Shape& ys = g.output;
  Tensor& y = ctx.Allocate(0, DType::kFloat32, {ys[0], ys[2], ys[3], ys[1]});
  if (z) {
    bool fits = z->rank() == 4 && z->dtype() == DType::kFloat32;
    for (int d = 0; fits && d < 4; ++d) fits = z->dim(d) == y.dim(d) || z->dim(d) == 1;
    if (!fits) {
      return ctx.Error("Z " + ShapeToString(z->shape()) + " does not broadcast to Y " +
                       ShapeToString(y.shape()));
    }
  }
  if (y.numel() == 0) return Status::Ok();
  IA_ASSIGN_OR_RETURN(ops::Activation activation, ops::ReadActivation(ctx.node()));
  ConvEpilogue e{z != nullptr, activation};
  if (!RunOnednnConv(ctx, *x, xs, *w, b, group, g, y, ys, memory::format_tag::nhwc, e, z,
                     int8 ? &quantized : nullptr)) {
    return ctx.Unsupported("oneDNN has no NHWC convolution for X " + ShapeToString(x->shape()) +
                           " W " + ShapeToString(w->shape()) + " activation '" +
                           ops::ActivationName(activation.kind) + "'");
  }
  return Status::Ok();
}

}  // namespace

bool IntegerConvOnednn(KernelContext& ctx, const Tensor& x, int32_t x_zero_point, const Tensor& w,
                       int64_t group, const WindowGeometry& g, Tensor& y) {
  if (x.dtype() != DType::kUInt8 || w.dtype() != DType::kInt8 || y.dtype() != DType::kInt32 ||
      g.nd > 3) {
    return false;
  }
  QuantizedConv quantized{1.f, x_zero_point, nullptr};
  return RunOnednnConv(ctx, x, x.shape(), w, nullptr, group, g, y, y.shape(),
                       memory::format_tag::any, {}, nullptr, &quantized);
}

void RegisterConvKernels(KernelRegistry& r) {
  r.Add("Conv", Conv).Types({DType::kFloat32, DType::kFloat64});
  r.Add("NhwcConv", NhwcConv, 1, 1000, ops::kFusedDomain)
      .Types({DType::kFloat32, DType::kBFloat16, DType::kInt8}, 1);
  RegisterConvTransposeKernels(r);
  RegisterPoolKernels(r);
  RegisterQuantizedConvKernels(r);
  RegisterNhwcPoolKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
