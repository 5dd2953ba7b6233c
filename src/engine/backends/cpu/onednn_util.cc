#include "engine/backends/cpu/onednn_util.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>

#include "core/parallel_for.h"
#include "core/tensor.h"

namespace ipfs_accelerate::engine::cpu::onednn {

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

void SetThreads(int threads) {
  using SetFn = void (*)(int);
  using GetFn = int (*)();
  static const SetFn set_fn = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  static const GetFn get_fn = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  if (threads < 1) threads = 1;
  if (set_fn && (!get_fn || get_fn() != threads)) set_fn(threads);
}

dnnl::primitive_attr UserScratchpad(dnnl::primitive_attr attr) {
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void Execute(const dnnl::primitive& prim, const dnnl::memory::desc& scratchpad,
             dnnl::stream& stream, std::unordered_map<int, dnnl::memory> args) {
  Tensor buffer;  // alive until the primitive is done (stream.wait below)
  if (scratchpad.get_size() > 0) {
    buffer = Tensor::Empty(DType::kUInt8, {static_cast<int64_t>(scratchpad.get_size())});
    args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(scratchpad, stream.get_engine(), buffer.raw());
  }
  prim.execute(stream, args);
  stream.wait();
}

bool HasVnni() {
  static const bool vnni = [] {
    const unsigned isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
    return (isa & (static_cast<unsigned>(dnnl_cpu_isa_avx512_core_vnni) &
                   ~static_cast<unsigned>(dnnl_cpu_isa_avx512_core))) != 0 ||
           (isa & (static_cast<unsigned>(dnnl_cpu_isa_avx2_vnni) &
                   ~static_cast<unsigned>(dnnl_cpu_isa_avx2))) != 0;
  }();
  return vnni;
}

void AppendActivation(const ops::Activation& activation, dnnl::post_ops* post) {
  using alg = dnnl::algorithm;
  const float p0 = activation.p0, p1 = activation.p1;
  switch (activation.kind) {
    case ops::ActivationKind::kNone:
      return;
    case ops::ActivationKind::kRelu:
      post->append_eltwise(1.0f, alg::eltwise_relu, 0.0f, 0.0f);
      return;
    case ops::ActivationKind::kLeakyRelu:
      post->append_eltwise(1.0f, alg::eltwise_relu, p0, 0.0f);
      return;
    case ops::ActivationKind::kClip:
      post->append_eltwise(1.0f, alg::eltwise_clip_v2, p0, p1);
      return;
    case ops::ActivationKind::kSigmoid:
      post->append_eltwise(1.0f, alg::eltwise_logistic, 0.0f, 0.0f);
      return;
    case ops::ActivationKind::kTanh:
      post->append_eltwise(1.0f, alg::eltwise_tanh, 0.0f, 0.0f);
      return;
    case ops::ActivationKind::kHardSigmoid:  // clip(alpha * x + beta, 0, 1)
      post->append_eltwise(1.0f, alg::eltwise_linear, p0, p1);
      post->append_eltwise(1.0f, alg::eltwise_clip_v2, 0.0f, 1.0f);
      return;
    case ops::ActivationKind::kHardSwish:  // x * clip(x / 6 + 1/2, 0, 1)
      post->append_eltwise(1.0f, alg::eltwise_hardswish, 0.0f, 0.0f);
      return;
    case ops::ActivationKind::kGelu:
      post->append_eltwise(1.0f, alg::eltwise_gelu_erf, 0.0f, 0.0f);
      return;
    case ops::ActivationKind::kGeluTanh:
      post->append_eltwise(1.0f, alg::eltwise_gelu_tanh, 0.0f, 0.0f);
      return;
  }
}

bool Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           int threads) {
  if (m == 0 || n == 0) return true;
  // Below kMinMacsPerThread multiply-adds per thread, OpenMP's fork and join cost more than the
  // thread saves, and on a loaded machine the team waits for threads the kernel has not
  // scheduled: a small product runs on fewer threads, down to one.
  const int64_t macs = m * n * std::max<int64_t>(k, 1);
  threads =
      static_cast<int>(std::clamp<int64_t>(macs / kMinMacsPerThread, 1, std::max(threads, 1)));
  SetThreads(threads);
  dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b,
                                ldb, beta, c, ldc);
  return st == dnnl_success;
}

bool Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           ThreadPool* pool) {
  if (m == 0 || n == 0) return true;
  const int64_t macs = m * n * std::max<int64_t>(k, 1);
  const int64_t threads = std::clamp<int64_t>(macs / kMinMacsPerThread, 1, pool ? pool->size() : 1);
  if (threads <= 1) return Sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1);
  // Parts of whole vectors (16 floats) of columns, or of rows when the columns are too few.
  const bool by_columns = n >= 32 * threads;
  const int64_t extent = by_columns ? n : m;
  int64_t part = (extent + threads - 1) / threads;
  if (by_columns) part = (part + 15) / 16 * 16;
  std::atomic<bool> ok{true};
  ParallelFor(pool, threads, kWholeTask, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t lo = t * part, count = std::min(extent, lo + part) - lo;
      if (count <= 0) continue;
      bool done;
      if (by_columns) {
        done = Sgemm(trans_a, trans_b, m, count, k, alpha, a, lda, trans_b ? b + lo * ldb : b + lo,
                     ldb, beta, c + lo, ldc, 1);
      } else {
        done = Sgemm(trans_a, trans_b, count, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda, b,
                     ldb, beta, c + lo * ldc, ldc, 1);
      }
      if (!done) ok = false;
    }
  });
  return ok;
}

}  // namespace ipfs_accelerate::engine::cpu::onednn
