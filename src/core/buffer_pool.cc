#include "core/buffer_pool.h"

#include <cstdlib>
#include <new>

namespace ipfs_accelerate {
namespace {

thread_local BufferPool* current_pool = nullptr;

void* AllocateAligned(size_t bytes) {
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

BufferPool::BufferPool(size_t max_cached_bytes) : state_(std::make_shared<State>()) {
  state_->max_cached = max_cached_bytes;
}

BufferPool::~BufferPool() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->open = false;  // buffers still in use go back to the system when released
  for (auto& [size, p] : state_->free) std::free(p);
  state_->free.clear();
  state_->cached = 0;
}

std::shared_ptr<uint8_t> BufferPool::Get(size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->free.find(bytes);
    if (it != state_->free.end()) {
      p = it->second;
      state_->free.erase(it);
      state_->cached -= bytes;
      state_->reused++;
    }
  }
  if (!p) p = AllocateAligned(bytes);
  std::weak_ptr<State> weak = state_;
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [weak, bytes](uint8_t* q) {
    if (auto s = weak.lock()) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->open && s->cached + bytes <= s->max_cached) {
        s->free.emplace(bytes, q);
        s->cached += bytes;
        return;
      }
    }
    std::free(q);
  });
}

size_t BufferPool::cached_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->cached;
}

int64_t BufferPool::reused() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->reused;
}

ScopedBufferPool::ScopedBufferPool(BufferPool* pool) : previous_(current_pool) {
  current_pool = pool;
}

ScopedBufferPool::~ScopedBufferPool() { current_pool = previous_; }

BufferPool* ScopedBufferPool::Current() { return current_pool; }

}  // namespace ipfs_accelerate
