// A session's arena: the large tensor buffers a run frees are kept, by size, and handed out again
// on the next allocation of that size, so repeated runs of a model reuse the same memory instead
// of going back to the system (and taking its page faults) for every intermediate value.
// The arena is also where a session's memory budget is enforced: it counts every buffer it hands
// out until that buffer is released, and refuses one that would take the count past its limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate {

class BufferPool {
 public:
  // Keeps at most `max_cached_bytes` of free buffers; hands out at most `limit_bytes` at once
  // (0: no limit).
  explicit BufferPool(size_t max_cached_bytes, size_t limit_bytes = 0);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A 64-byte aligned buffer of at least `bytes` (rounded up to a multiple of 64); when the last
  // reference goes, it returns to the pool (or to the system, once the pool is gone or full).
  // kResourceExhausted, allocating nothing, when it would take the bytes handed out past the
  // limit (cached free buffers are given back to the system first to make room), or when the
  // system has no memory left. Thread-safe.
  Result<std::shared_ptr<uint8_t>> Get(size_t bytes);

  // The most bytes handed out at once (0: no limit), and what the error says to do about it
  // ("raise it with --memory-limit"). Buffers already out stay out.
  void set_limit(size_t limit_bytes, std::string remedy = "");
  size_t limit() const;
  size_t live_bytes() const;  // handed out and not yet released
  size_t peak_bytes() const;  // the most live_bytes() since the pool was made
  size_t cached_bytes() const;
  int64_t reused() const;  // allocations served from the pool so far

  // Buffers at least this large are kept for reuse when freed; smaller ones go back to malloc
  // (and are still counted against the limit while they are out).
  static constexpr size_t kMinPooledBytes = 16 * 1024;

 private:
  struct State {
    std::mutex mu;
    std::multimap<size_t, void*> free;  // by size
    size_t cached = 0, max_cached = 0;
    size_t live = 0, peak = 0, limit = 0;
    std::string remedy;
    int64_t reused = 0;
    bool open = true;
  };
  std::shared_ptr<State> state_;
};

// While alive, Tensor::Empty on this thread takes its buffers from `pool` (null: from malloc).
class ScopedBufferPool {
 public:
  explicit ScopedBufferPool(BufferPool* pool);
  ~ScopedBufferPool();
  ScopedBufferPool(const ScopedBufferPool&) = delete;
  ScopedBufferPool& operator=(const ScopedBufferPool&) = delete;

  // The pool in effect on this thread, or null.
  static BufferPool* Current();

 private:
  BufferPool* previous_;
};

}  // namespace ipfs_accelerate
