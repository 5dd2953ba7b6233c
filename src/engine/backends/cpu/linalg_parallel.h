// Splitting a loop over the session's thread pool, for the kernels of this folder that do not
// hand their work to oneDNN (through RunChunks).
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/thread_pool.h"
#include "engine/backends/cpu/run_chunks.h"

namespace ipfs_accelerate::engine::cpu {

// Calls fn(begin, end) over [0, n) in up to pool->size() contiguous chunks, one of them on the
// calling thread; returns when all are done. `min_chunk` keeps tiny loops on one thread.
template <typename Fn>
void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk, const Fn& fn) {
  if (n <= 0) return;
  int64_t threads = pool ? pool->size() : 1;
  threads = std::max<int64_t>(1, std::min(threads, n / std::max<int64_t>(1, min_chunk)));
  RunChunks(pool, n, threads, threads - 1, fn);
}

}  // namespace ipfs_accelerate::engine::cpu
