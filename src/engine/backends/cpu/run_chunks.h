// The one way the CPU kernels split a loop over the session's thread pool; the ParallelFor
// variants (linalg_parallel.h, elementwise_common.h, reduce_util.h, tensor_ops_util.h) only
// decide how many chunks their work is worth.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/thread_pool.h"

namespace ipfs_accelerate::engine::cpu {

// Calls fn(begin, end) over [0, n) in `chunks` contiguous chunks, claimed one at a time by the
// calling thread and by up to `helpers` pool tasks; returns when all are done. The caller waits
// only for chunks a thread has claimed (is running), never for a queued task to start, so it
// cannot deadlock: not from inside a pool worker (nested loops), nor when several runs of a
// session share the pool and its queue.
template <typename Fn>
void RunChunks(ThreadPool* pool, int64_t n, int64_t chunks, int64_t helpers, const Fn& fn) {
  if (n <= 0) return;
  chunks = std::clamp<int64_t>(chunks, 1, n);
  if (!pool || chunks == 1) {
    fn(int64_t{0}, n);
    return;
  }
  struct Shared {
    std::atomic<int64_t> next{0};
    int64_t done = 0;
    std::mutex mu;
    std::condition_variable cv;
  };
  auto shared = std::make_shared<Shared>();
  const int64_t per = (n + chunks - 1) / chunks;
  // `body` is valid only while the caller waits below; a task touches it only after claiming a
  // chunk, which the caller then waits for. A task that starts late finds none left.
  const Fn* body = &fn;
  auto work = [shared, body, n, per, chunks] {
    for (int64_t c; (c = shared->next.fetch_add(1)) < chunks;) {
      int64_t b = c * per, e = std::min(n, b + per);
      if (b < e) (*body)(b, e);
      std::lock_guard<std::mutex> lock(shared->mu);
      if (++shared->done == chunks) shared->cv.notify_all();
    }
  };
  helpers = std::min(helpers, chunks - 1);
  for (int64_t i = 0; i < helpers; ++i) pool->Submit(work);
  work();
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->done == chunks; });
}

}  // namespace ipfs_accelerate::engine::cpu
