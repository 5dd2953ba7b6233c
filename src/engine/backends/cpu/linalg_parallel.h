// Splitting a loop over the session's thread pool, for the kernels of this folder that do not
// hand their work to oneDNN.
#pragma once

#include <algorithm>
#include <cstdint>
#include <future>
#include <vector>

#include "core/thread_pool.h"

namespace ipfs_accelerate::engine::cpu {

// Calls fn(begin, end) over [0, n) in up to pool->size() contiguous chunks, one of them on the
// calling thread; returns when all are done. `min_chunk` keeps tiny loops on one thread.
template <typename Fn>
void ParallelFor(ThreadPool* pool, int64_t n, int64_t min_chunk, const Fn& fn) {
  if (n <= 0) return;
  int64_t threads = pool ? pool->size() : 1;
  threads = std::max<int64_t>(1, std::min(threads, n / std::max<int64_t>(1, min_chunk)));
  if (threads == 1) {
    fn(int64_t{0}, n);
    return;
  }
  int64_t chunk = (n + threads - 1) / threads;
  std::vector<std::future<void>> pending;
  for (int64_t begin = chunk; begin < n; begin += chunk) {
    int64_t end = std::min(n, begin + chunk);
    pending.push_back(pool->Submit([&fn, begin, end] { fn(begin, end); }));
  }
  fn(int64_t{0}, std::min(n, chunk));
  for (auto& f : pending) f.get();
}

}  // namespace ipfs_accelerate::engine::cpu
