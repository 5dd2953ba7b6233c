#include "core/buffer_pool.h"

#include <algorithm>
#include <cstdlib>

#include "core/progress.h"

namespace ipfs_accelerate {
namespace {

thread_local BufferPool* current_pool = nullptr;

}  // namespace

BufferPool::BufferPool(size_t max_cached_bytes, size_t limit_bytes)
    : state_(std::make_shared<State>()) {
  state_->max_cached = max_cached_bytes;
  state_->limit = limit_bytes;
}

BufferPool::~BufferPool() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->open = false;  // buffers still in use go back to the system when released
  for (auto& [size, p] : state_->free) std::free(p);
  state_->free.clear();
  state_->cached = 0;
}

Result<std::shared_ptr<uint8_t>> BufferPool::Get(size_t bytes) {
  if (bytes > SIZE_MAX - 63) {
    return Status::ResourceExhausted(std::to_string(bytes) + " bytes cannot be allocated");
  }
  bytes = std::max<size_t>((bytes + 63) / 64 * 64, 64);
  void* p = nullptr;
  std::vector<void*> to_free;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    State& s = *state_;
    if (bytes >= kMinPooledBytes) {
      auto it = s.free.find(bytes);
      if (it != s.free.end()) {
        p = it->second;
        s.free.erase(it);
        s.cached -= bytes;
        s.reused++;
      }
    }
    if (!p && s.limit > 0) {
      if (bytes > s.limit || s.live > s.limit - bytes) {
        return Status::ResourceExhausted("needs " + HumanBytes(static_cast<double>(bytes)) +
                                         " with " + HumanBytes(static_cast<double>(s.live)) +
                                         " already in use, past the memory budget of " +
                                         HumanBytes(static_cast<double>(s.limit)) + " (" +
                                         std::to_string(s.limit) + " bytes)" +
                                         (s.remedy.empty() ? "" : "; " + s.remedy));
      }
      // What the pool keeps counts as used memory too: give it back before going past the limit.
      if (s.cached > s.limit - bytes - s.live) {
        for (auto& [size, q] : s.free) to_free.push_back(q);
        s.free.clear();
        s.cached = 0;
      }
    }
    s.live += bytes;
    s.peak = std::max(s.peak, s.live);
  }
  for (void* q : to_free) std::free(q);
  if (!p) p = std::aligned_alloc(64, bytes);
  if (!p) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->live -= bytes;
    return Status::ResourceExhausted("the system has no " + HumanBytes(static_cast<double>(bytes)) +
                                     " of memory left");
  }
  std::weak_ptr<State> weak = state_;
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [weak, bytes](uint8_t* q) {
    if (auto s = weak.lock()) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->live -= bytes;
      if (s->open && bytes >= kMinPooledBytes && s->cached + bytes <= s->max_cached &&
          (s->limit == 0 || s->cached + bytes + s->live <= s->limit)) {
        s->free.emplace(bytes, q);
        s->cached += bytes;
        return;
      }
    }
    std::free(q);
  });
}

void BufferPool::set_limit(size_t limit_bytes, std::string remedy) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->limit = limit_bytes;
  state_->remedy = std::move(remedy);
}

size_t BufferPool::limit() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->limit;
}

size_t BufferPool::live_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->live;
}

size_t BufferPool::peak_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->peak;
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
