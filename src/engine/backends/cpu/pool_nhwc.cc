// Pooling on NHWC tensors, for the optimizer's layout pass (domain ai.ipfs_accelerate):
// NhwcMaxPool and NhwcAveragePool (2-D, oneDNN) and NhwcGlobalAveragePool. Attributes are those
// of the ONNX ops; X is [N, H, W, C] and Y [N, OH, OW, C].
#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/ops/fused.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using dnnl::memory;
using ops::WindowGeometry;

struct PoolPrimitive {
  dnnl::pooling_forward pool;
  memory::desc src, dst, scratchpad;
};

Status NhwcPool(KernelContext& ctx, dnnl::algorithm alg) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() != 4 || x->dtype() != DType::kFloat32) {
    return ctx.Error("wants float32 X [N, H, W, C], got " + DTypeName(x->dtype()) + " " +
                     ShapeToString(x->shape()));
  }
  IA_ASSIGN_OR_RETURN(WindowGeometry g,
                      ops::PoolWindow(ctx.node(), {x->dim(0), x->dim(3), x->dim(1), x->dim(2)}));
  for (int64_t d : g.dilations) {
    if (d != 1) return ctx.Unsupported("dilated NHWC pooling");
  }
  int64_t n = x->dim(0), c = x->dim(3);
  Tensor& y = ctx.Allocate(0, DType::kFloat32, {n, g.out[0], g.out[1], c});
  if (y.numel() == 0) return Status::Ok();
  // oneDNN derives the output size from the pads: the end pad that gives g.out (ceil_mode adds
  // to it; those cells are never counted by average pooling without count_include_pad).
  memory::dims pads_end(2);
  for (int i = 0; i < 2; ++i)
    pads_end[i] = (g.out[i] - 1) * g.strides[i] + g.kernel[i] - g.in[i] - g.pads_begin[i];
  memory::dims src_dims = {n, c, x->dim(1), x->dim(2)}, dst_dims = {n, c, g.out[0], g.out[1]};
  std::string key = ShapeToString(x->shape()) + ShapeToString(g.kernel) + ShapeToString(g.strides) +
                    ShapeToString(g.pads_begin) + ShapeToString(pads_end) +
                    std::to_string(static_cast<int>(alg));
  int threads = ctx.pool() ? ctx.pool()->size() : 1;
  auto prim =
      onednn::PrimitiveCache::Get<PoolPrimitive>(PrimitivesOf(ctx), "pool", key, threads, [&] {
        auto f32 = memory::data_type::f32;
        PoolPrimitive p;
        p.src = memory::desc(src_dims, f32, memory::format_tag::nhwc);
        p.dst = memory::desc(dst_dims, f32, memory::format_tag::nhwc);
        dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, p.src, p.dst,
                                         memory::dims(g.strides.begin(), g.strides.end()),
                                         memory::dims(g.kernel.begin(), g.kernel.end()),
                                         memory::dims(g.pads_begin.begin(), g.pads_begin.end()),
                                         pads_end);
        dnnl::pooling_forward::primitive_desc pd(desc, onednn::UserScratchpad(), onednn::Engine());
        p.pool = dnnl::pooling_forward(pd);
        p.scratchpad = pd.scratchpad_desc();
        return p;
      });
  if (!prim) return ctx.Unsupported("oneDNN has no NHWC pooling for " + ShapeToString(x->shape()));
  try {
    onednn::SetThreads(threads);
    dnnl::engine& eng = onednn::Engine();
    dnnl::stream stream(eng);
    memory src(prim->src, eng, const_cast<void*>(x->raw())), dst(prim->dst, eng, y.raw());
    onednn::Execute(prim->pool, prim->scratchpad, stream,
                    {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  } catch (const dnnl::error& e) {
    return ctx.Unsupported(std::string("oneDNN pooling failed: ") + e.what());
  }
  return Status::Ok();
}

Status NhwcMaxPool(KernelContext& ctx) {
  if (ctx.wants_output(1)) return ctx.Unsupported("NhwcMaxPool has no Indices output");
  return NhwcPool(ctx, dnnl::algorithm::pooling_max);
}

Status NhwcAveragePool(KernelContext& ctx) {
  bool include = ctx.GetInt("count_include_pad", 0) != 0;
  if (include && ctx.GetInt("ceil_mode", 0) != 0) {
    return ctx.Unsupported("NhwcAveragePool with count_include_pad and ceil_mode");
  }
  return NhwcPool(ctx, include ? dnnl::algorithm::pooling_avg_include_padding
                               : dnnl::algorithm::pooling_avg_exclude_padding);
}

// Y [N, 1, 1, C] = the mean over H and W; rows of C summed in order, so results do not depend
// on the thread count.
Status NhwcGlobalAveragePool(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->rank() != 4 || x->dtype() != DType::kFloat32) {
    return ctx.Error("wants float32 X [N, H, W, C], got " + DTypeName(x->dtype()) + " " +
                     ShapeToString(x->shape()));
  }
  int64_t n = x->dim(0), hw = x->dim(1) * x->dim(2), c = x->dim(3);
  Tensor& y = ctx.Allocate(0, DType::kFloat32, {n, 1, 1, c});
  const float* px = x->data<float>();
  float* py = y.data<float>();
  float scale = hw > 0 ? 1.0f / static_cast<float>(hw) : 0.0f;
  // Split over images and blocks of 64 channels.
  int64_t blocks = (c + 63) / 64;
  ParallelFor(ctx.pool(), n * blocks, hw * 64, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      int64_t img = t / blocks, c0 = (t % blocks) * 64, c1 = std::min(c, c0 + 64);
      float acc[64] = {};
      const float* base = px + img * hw * c;
      for (int64_t p = 0; p < hw; ++p) {
        const float* row = base + p * c;
        for (int64_t k = c0; k < c1; ++k) acc[k - c0] += row[k];
      }
      for (int64_t k = c0; k < c1; ++k) py[img * c + k] = acc[k - c0] * scale;
    }
  });
  return Status::Ok();
}

}  // namespace

void RegisterNhwcPoolKernels(KernelRegistry& r) {
  r.Add("NhwcMaxPool", NhwcMaxPool, 1, 1000, ops::kFusedDomain);
  r.Add("NhwcAveragePool", NhwcAveragePool, 1, 1000, ops::kFusedDomain);
  r.Add("NhwcGlobalAveragePool", NhwcGlobalAveragePool, 1, 1000, ops::kFusedDomain);
}

}  // namespace ipfs_accelerate::engine::cpu
