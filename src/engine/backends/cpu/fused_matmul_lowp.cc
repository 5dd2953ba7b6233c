// FusedMatMul with bfloat16 or int8 weights (engine/ops/fused.h; the optimizer's LowerPrecision
// writes them): oneDNN's matmul primitive (brgemm on AVX512-BF16/AMX for bf16, VNNI for int8)
// with the weights packed into its layout once per node (PrimitiveWithWeights) and the column
// scales, bias and activation as post-ops on the float32 result. A is converted on every run:
// rounded to bfloat16, or quantized to uint8 with the scale and zero point of its range.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "core/half.h"
#include "core/log.h"
#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/fused_activation.h"
#include "engine/backends/cpu/low_precision.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/backends/cpu/packed_weights.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using dnnl::memory;

// The fewest rows worth a thread's own product (see LowPrecisionFusedMatMul).
constexpr int64_t kMinPartRows = 32;

// One built product: rows x K (bf16 or u8 with a zero point) times K x N (bf16 or s8) -> rows x
// N float32, then * scale[column] and + bias[column] (binary post-ops), then the activation.
struct LowpPrimitive {
  dnnl::matmul matmul;
  memory::desc src, weights_plain, weights_md, dst, column, scratchpad_md;
  bool scale = false, bias = false;
};

LowpPrimitive BuildLowp(bool int8, int64_t rows, int64_t k, int64_t n, bool trans_b, bool scale,
                        bool bias, const Activation& activation) {
  using dt = memory::data_type;
  using tag = memory::format_tag;
  LowpPrimitive p;
  const dt weights_type = int8 ? dt::s8 : dt::bf16;
  p.src = memory::desc({rows, k}, int8 ? dt::u8 : dt::bf16, tag::ab);
  p.weights_plain = memory::desc({k, n}, weights_type, trans_b ? tag::ba : tag::ab);
  p.dst = memory::desc({rows, n}, dt::f32, tag::ab);
  p.column = memory::desc({1, n}, dt::f32, tag::ab);
  p.scale = scale;
  p.bias = bias;
  dnnl::post_ops post;
  if (scale) post.append_binary(dnnl::algorithm::binary_mul, p.column);
  if (bias) post.append_binary(dnnl::algorithm::binary_add, p.column);
  onednn::AppendActivation(activation, &post);
  dnnl::primitive_attr attr;
  attr.set_post_ops(post);
  if (int8) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  auto pd = dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(p.src, memory::desc({k, n}, weights_type, tag::any), p.dst),
      onednn::UserScratchpad(attr), onednn::Engine());
  p.weights_md = pd.weights_desc();
  p.scratchpad_md = pd.scratchpad_desc();
  p.matmul = dnnl::matmul(pd);
  return p;
}

// The product without oneDNN (which refuses bf16 or int8 on CPUs without AVX-512), on A as
// converted: y[i, j] = sum_p a(i, p) * w(p, j) * column_scale[j], then bias and activation.
template <typename A, typename W>
void ReferenceLowp(ThreadPool* pool, const A* a, float a_offset, const W* w, bool trans_b,
                   const float* column_scale, const float* bias, const Activation& act,
                   int64_t rows, int64_t k, int64_t n, float* y) {
  auto value = [](auto v) {
    if constexpr (std::is_same_v<decltype(v), uint16_t>) {
      return BFloat16ToFloat(v);
    } else {
      return static_cast<float>(v);
    }
  };
  ParallelFor(pool, rows, n * k * cost::kScalarMac, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          acc += double(value(a[i * k + p]) - a_offset) * value(w[trans_b ? j * k + p : p * n + j]);
        }
        y[i * n + j] = static_cast<float>(acc) * (column_scale ? column_scale[j] : 1.f);
      }
      BiasActivationRow(y + i * n, bias, n, act);
    }
  });
}

void LogReferenceOnce(const std::string& what) {
  static std::once_flag once;
  std::call_once(once, [&] {
    Log(LogLevel::kWarning, "oneDNN does not run " + what +
                                " on this CPU: a plain loop computes it (much slower than fp32; "
                                "use --precision fp32 here)");
  });
}

}  // namespace

// Called by FusedMatMul (fused_matmul.cc) when B is bfloat16 or int8.
Status LowPrecisionFusedMatMul(KernelContext& ctx, const Tensor& a, const Tensor& b,
                               const Tensor* bias, const ops::FusedMatMulAttrs& attrs,
                               const Shape& out_shape) {
  const bool int8 = b.dtype() == DType::kInt8;
  const int64_t k = a.dim(-1), n = out_shape.back();
  const int64_t rows = NumElements(Shape(a.shape().begin(), a.shape().end() - 1));
  const Tensor* b_scale = int8 ? ctx.input(3) : nullptr;
  if (int8 && (!b_scale || !b_scale->defined() || b_scale->dtype() != DType::kFloat32 ||
               b_scale->numel() != n)) {
    return ctx.Error("int8 B needs b_scale (input 3): " + std::to_string(n) +
                     " float32 values, one per column");
  }
  Tensor& y = ctx.Allocate(0, DType::kFloat32, out_shape);
  if (y.numel() == 0) return Status::Ok();
  float* py = y.data<float>();
  const float* pbias = bias ? bias->data<float>() : nullptr;
  ThreadPool* pool = ctx.pool();

  // A in the weights' type: rounded to bfloat16; or uint8 with a scale and zero point, given
  // (inputs 4 and 5) or computed here.
  Tensor a_low;
  const void* pa_low = nullptr;
  ops::DynamicQuantParams q;
  if (a.dtype() == DType::kUInt8) {
    const Tensor* s = ctx.input(4);
    const Tensor* z = ctx.input(5);
    if (!s || !s->defined() || s->dtype() != DType::kFloat32 || s->numel() != 1 ||
        (z && z->defined() && (z->dtype() != DType::kUInt8 || z->numel() != 1))) {
      return ctx.Error(
          "uint8 A needs a_scale (input 4, one float32) and a_zero_point (input 5, "
          "one uint8, optional)");
    }
    q.scale = s->data<float>()[0];
    q.zero_point = z && z->defined() ? z->data<uint8_t>()[0] : 0;
    pa_low = a.raw();
    if (!onednn::HasVnni()) {
      // Without VNNI, 8-bit A would saturate the int16 pair sums: requantized to 7 bits.
      Tensor values = Tensor::Empty(DType::kFloat32, {rows, k});
      const uint8_t* src = a.data<uint8_t>();
      float* dst = values.data<float>();
      for (int64_t i = 0; i < rows * k; ++i) dst[i] = q.scale * (float(src[i]) - q.zero_point);
      a_low = Tensor::Empty(DType::kUInt8, {rows, k});
      q = QuantizeDynamicUInt8(pool, dst, rows * k, a_low.data<uint8_t>(), 127.f);
      pa_low = a_low.raw();
    }
  } else if (int8) {
    a_low = Tensor::Empty(DType::kUInt8, {rows, k});
    q = QuantizeDynamicUInt8(pool, a.data<float>(), rows * k, a_low.data<uint8_t>(),
                             onednn::HasVnni() ? 255.f : 127.f);
    pa_low = a_low.raw();
  } else {
    a_low = Tensor::Empty(DType::kBFloat16, {rows, k});
    RoundToBFloat16(pool, a.data<float>(), rows * k, a_low.data<uint16_t>());
    pa_low = a_low.raw();
  }
  // What multiplies each column: alpha, times A's and B's scales for int8.
  const bool scaled = int8 || attrs.alpha != 1.f;
  Tensor column_scale;
  if (scaled) {
    column_scale = Tensor::Empty(DType::kFloat32, {1, n});
    float* s = column_scale.data<float>();
    for (int64_t j = 0; j < n; ++j) {
      s[j] = attrs.alpha * (int8 ? q.scale * b_scale->data<float>()[j] : 1.f);
    }
  }

  // The rows are split into one part per thread, each a one-thread product run in the session's
  // pool, whose workers are awake between nodes; oneDNN's own team sleeps between products
  // (openmp_passive.cc) and would be woken for each. A part has kMinPartRows rows at least.
  const int threads = pool ? pool->size() : 1;
  const int64_t parts = std::clamp<int64_t>(rows / kMinPartRows, 1, threads);
  const int64_t part_rows = (rows + parts - 1) / parts;
  const int64_t tail_rows = rows - (parts - 1) * part_rows;
  const int prim_threads = parts > 1 ? 1 : threads;
  auto key = [&](int64_t m) {
    return std::string(int8 ? "s8" : "bf16") + ":" + std::to_string(m) + "x" + std::to_string(k) +
           "x" + std::to_string(n) + (attrs.trans_b ? "T" : "") + (scaled ? "s" : "") +
           (pbias ? "b" : "") + ops::ActivationName(attrs.activation.kind) + "," +
           std::to_string(attrs.activation.p0) + "," + std::to_string(attrs.activation.p1);
  };
  auto build = [&](int64_t m) {
    return [&, m] {
      return BuildLowp(int8, m, k, n, attrs.trans_b, scaled, pbias != nullptr, attrs.activation);
    };
  };
  try {
    onednn::SetThreads(prim_threads);
    dnnl::engine& eng = onednn::Engine();
    dnnl::stream stream(eng);
    memory weights;
    std::shared_ptr<const LowpPrimitive> prim = PrimitiveWithWeights<LowpPrimitive>(
        ctx, "lowp_matmul", key(part_rows), prim_threads, b, stream, build(part_rows), &weights);
    // The last part's rows may differ: its own primitive, on the same packed weights.
    std::shared_ptr<const LowpPrimitive> tail = prim;
    if (prim && tail_rows != part_rows) {
      tail = onednn::PrimitiveCache::Get<LowpPrimitive>(PrimitivesOf(ctx), "lowp_matmul",
                                                        key(tail_rows), 1, build(tail_rows));
      if (tail && tail->weights_md != prim->weights_md) tail = nullptr;
    }
    const int32_t zero_point = q.zero_point;
    // Part p: rows [p * part_rows, ...) of A and Y.
    auto run_part = [&](int64_t p, dnnl::stream& s) {
      const LowpPrimitive& pr = p == parts - 1 ? *tail : *prim;
      const int64_t r0 = p * part_rows;
      const size_t a_bytes = int8 ? 1 : 2;
      std::unordered_map<int, memory> args = {
          {DNNL_ARG_SRC,
           memory(pr.src, eng, static_cast<char*>(const_cast<void*>(pa_low)) + r0 * k * a_bytes)},
          {DNNL_ARG_WEIGHTS, weights},
          {DNNL_ARG_DST, memory(pr.dst, eng, py + r0 * n)}};
      int post = 0;
      if (scaled) {
        args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(post++) | DNNL_ARG_SRC_1] =
            memory(pr.column, eng, column_scale.raw());
      }
      if (pbias) {
        args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(post++) | DNNL_ARG_SRC_1] =
            memory(pr.column, eng, const_cast<float*>(pbias));
      }
      if (int8) {
        args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] =
            memory({{1}, memory::data_type::s32, memory::format_tag::a}, eng,
                   const_cast<int32_t*>(&zero_point));
      }
      onednn::Execute(pr.matmul, pr.scratchpad_md, s, std::move(args));
    };
    if (prim && tail && parts == 1) {
      run_part(0, stream);  // on oneDNN's team of `threads`
      return Status::Ok();
    }
    if (prim && tail) {
      std::atomic<bool> failed{false};
      ParallelFor(pool, parts, kWholeTask, [&](int64_t p0, int64_t p1) {
        try {
          onednn::SetThreads(1);
          dnnl::stream s(eng);
          for (int64_t p = p0; p < p1; ++p) run_part(p, s);
        } catch (const dnnl::error&) {
          failed = true;
        }
      });
      if (!failed) return Status::Ok();
    }
  } catch (const dnnl::error&) {
  }
  const float* scales = scaled ? column_scale.data<float>() : nullptr;
  if (int8) {
    LogReferenceOnce("int8 matrix products");
    ReferenceLowp(pool, static_cast<const uint8_t*>(pa_low), static_cast<float>(q.zero_point),
                  b.data<int8_t>(), attrs.trans_b, scales, pbias, attrs.activation, rows, k, n, py);
  } else {
    LogReferenceOnce("bfloat16 matrix products");
    ReferenceLowp(pool, static_cast<const uint16_t*>(pa_low), 0.f, b.data<uint16_t>(),
                  attrs.trans_b, scales, pbias, attrs.activation, rows, k, n, py);
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::cpu
