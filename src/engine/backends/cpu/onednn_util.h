// Shared plumbing for the oneDNN-backed CPU kernels: the engine, thread control, a primitive
// cache and row-major sgemm. oneDNN here is built with the OpenMP runtime.
#pragma once

#include <cstdint>
#include <dnnl.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/thread_pool.h"
#include "engine/ops/fused.h"

namespace ipfs_accelerate::engine::cpu::onednn {

// The process-wide CPU engine (created once, immutable afterwards).
dnnl::engine& Engine();

// Makes oneDNN's OpenMP team on the calling thread `threads` wide. The OpenMP setting is
// per calling thread, so kernels call this before every oneDNN call. libgomp comes in through
// libdnnl, not through our link line, so the setter is looked up at run time.
void SetThreads(int threads);

// The attributes every cached primitive is built with: scratchpad_mode::user, so that Execute
// gives each execution a scratchpad of its own. This oneDNN is built without
// DNNL_ENABLE_CONCURRENT_EXEC: its "library" scratchpad is per thread and a primitive may only run
// on the thread that built it, while ours are built once per process and run by every thread
// that calls Session::Run, several at once.
dnnl::primitive_attr UserScratchpad(dnnl::primitive_attr attr = {});

// Runs `prim` on `stream` with `args` and a scratchpad of `scratchpad`'s size (from the run's
// arena, counted against its memory budget), and waits for it. Safe to call for one primitive
// from several threads at once, when it was built with UserScratchpad. Throws dnnl::error, and
// AllocationError when the scratchpad is refused.
void Execute(const dnnl::primitive& prim, const dnnl::memory::desc& scratchpad,
             dnnl::stream& stream, std::unordered_map<int, dnnl::memory> args);

// Whether oneDNN's int8 kernels accumulate uint8 x int8 products in int32 without int16
// saturation on this CPU (VNNI). Without it, pairs of products are added in int16 with
// saturation: callers keep one operand within 7 bits.
bool HasVnni();

// Appends the oneDNN post-ops that compute `activation` (none for kNone).
void AppendActivation(const ops::Activation& activation, dnnl::post_ops* post);

// Multiply-adds worth one more thread in Sgemm (about 15 µs of one core's work).
inline constexpr int64_t kMinMacsPerThread = 256 * 1024;

// C = alpha * op(A) * op(B) + beta * C, row-major, float32, on up to `threads` threads (fewer for
// small products: see kMinMacsPerThread).
// Returns false when oneDNN refuses (the caller then uses its reference loop).
bool Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           int threads);

// The same on the threads of `pool` (null: the caller's alone): a product worth several threads
// is split by columns (by rows when it is narrow) into one single-threaded sgemm per thread,
// run on the pool, whose workers are awake between a run's nodes, rather than on oneDNN's
// OpenMP team, which sleeps between products (openmp_passive.cc) and is woken for each. By
// columns, each thread packs only its own part of B.
bool Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           ThreadPool* pool);

// A mutex-protected map from a key (the kind of primitive, its shapes and attributes, printed)
// to a built primitive and whatever the kernel needs beside it. Entries are immutable once built
// and shared by every run of the session; the CPU backend object owns the cache (see
// CpuBackend::primitives), so it lives and dies with its session. Two threads missing the same key
// may both build it; the first to store it wins and both get that one.
class PrimitiveCache {
 public:
  // The entry for `kind`/`shape_key` on `threads` threads, built by `make` on first use (with the
  // OpenMP team set to `threads`: oneDNN fixes a primitive's thread count when it builds it);
  // null when `make` throws a dnnl::error. A null `cache` builds without keeping it.
  template <typename Entry>
  static std::shared_ptr<const Entry> Get(PrimitiveCache* cache, const char* kind,
                                          const std::string& shape_key, int threads,
                                          const std::function<Entry()>& make) {
    const std::string key = std::string(kind) + ":" + shape_key + "/t" + std::to_string(threads);
    if (cache) {
      std::lock_guard<std::mutex> lock(cache->mu_);
      auto it = cache->entries_.find(key);
      if (it != cache->entries_.end()) return std::static_pointer_cast<const Entry>(it->second);
    }
    std::shared_ptr<const Entry> built;
    SetThreads(threads);
    try {
      built = std::make_shared<const Entry>(make());
    } catch (const dnnl::error&) {
      return nullptr;
    }
    if (!cache) return built;
    std::lock_guard<std::mutex> lock(cache->mu_);
    if (cache->entries_.size() >= kMaxEntries) cache->entries_.clear();
    return std::static_pointer_cast<const Entry>(cache->entries_.emplace(key, built).first->second);
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const void>> entries_;
};

}  // namespace ipfs_accelerate::engine::cpu::onednn
