// The one parallel loop. Every kernel that splits work over a session's threads calls
// ParallelFor with what one item costs; the thresholds that decide whether splitting pays live
// here and nowhere else.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>

#include "core/thread_pool.h"

namespace ipfs_accelerate {

// Costs are counted in cheap element operations: one add, compare, copy of a float or one
// multiply-add of a vectorised inner loop is 1.
namespace cost {
inline constexpr int64_t kCheap = 1;           // add, compare, relu, copy of an element or byte
inline constexpr int64_t kScalarMac = 4;       // a multiply-add of a scalar loop with index math
inline constexpr int64_t kTranscendental = 8;  // exp, tanh, erf, sigmoid
}  // namespace cost

// The least work worth a thread of its own: below it, waking a worker and claiming the chunk
// costs more than the chunk (about 10–30 µs of simple element operations).
inline constexpr int64_t kMinWorkPerChunk = int64_t{1} << 16;

// An item that is worth a thread whatever its count (a convolution plane, a GEMM of a batch):
// pass it as the cost when each item is large.
inline constexpr int64_t kWholeTask = kMinWorkPerChunk;

// Chunks per thread, so that items of uneven cost still balance (chunks are claimed, not
// assigned).
inline constexpr int64_t kChunksPerThread = 4;

// Calls fn(begin, end) over [0, n) in contiguous chunks. `cost_per_item` (in the units above)
// decides how many threads the loop is worth: at most the pool's size, counting the calling
// thread, which works too, so a session of N threads (a pool of N) runs N at once. Threads claim
// chunks one at a time; the caller waits only for chunks a thread has claimed, never for a queued
// task to start, so the loop cannot deadlock: not from inside a pool worker (nested loops), nor
// when several runs of a session share the pool. With no pool, or too little work, fn(0, n) runs
// on the caller.
template <typename Fn>
void ParallelFor(ThreadPool* pool, int64_t n, int64_t cost_per_item, const Fn& fn) {
  if (n <= 0) return;
  const int64_t per_item = std::max<int64_t>(cost_per_item, 1);
  const int64_t total = n > std::numeric_limits<int64_t>::max() / per_item
                            ? std::numeric_limits<int64_t>::max()
                            : n * per_item;
  const int64_t threads = std::min({int64_t{pool ? pool->size() : 1}, n, total / kMinWorkPerChunk});
  if (threads <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t chunks = std::min(n, threads * kChunksPerThread);
  struct Shared {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex mu;
    std::condition_variable cv;
  };
  auto shared = std::make_shared<Shared>();
  const int64_t per_chunk = (n + chunks - 1) / chunks;
  // `body` is valid only while the caller waits below; a task touches it only after claiming a
  // chunk, which the caller then waits for. A task that starts late finds none left.
  const Fn* body = &fn;
  auto work = [shared, body, n, per_chunk, chunks] {
    for (int64_t c; (c = shared->next.fetch_add(1)) < chunks;) {
      const int64_t b = c * per_chunk, e = std::min(n, b + per_chunk);
      if (b < e) (*body)(b, e);
      if (shared->done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(shared->mu);  // the caller is polling or waiting
        shared->cv.notify_all();
      }
    }
  };
  for (int64_t i = 0; i < threads - 1; ++i) pool->Submit(work);
  work();
  auto finished = [&] { return shared->done.load(std::memory_order_acquire) == chunks; };
  if (ThreadPool::SpinUntil(finished)) return;
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->cv.wait(lock, finished);
}

}  // namespace ipfs_accelerate
