// A session's arena: the large tensor buffers a run frees are kept, by size, and handed out again
// on the next allocation of that size, so repeated runs of a model reuse the same memory instead
// of going back to the system (and taking its page faults) for every intermediate value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace ipfs_accelerate {

class BufferPool {
 public:
  // Keeps at most `max_cached_bytes` of free buffers.
  explicit BufferPool(size_t max_cached_bytes);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A 64-byte aligned buffer of at least `bytes` (a multiple of 64); when the last reference
  // goes, it returns to the pool (or to the system, once the pool is gone or full).
  std::shared_ptr<uint8_t> Get(size_t bytes);

  size_t cached_bytes() const;
  int64_t reused() const;  // allocations served from the pool so far

  // Buffers at least this large go through the pool; smaller ones come from malloc directly.
  static constexpr size_t kMinPooledBytes = 16 * 1024;

 private:
  struct State {
    std::mutex mu;
    std::multimap<size_t, void*> free;  // by size
    size_t cached = 0, max_cached = 0;
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
