#include "core/thread_pool.h"

#include <sched.h>

namespace ipfs_accelerate {

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Run(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::Enqueue(std::function<void()> task) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
    queued_.fetch_add(1, std::memory_order_release);
    wake = sleepers_ > 0;  // a polling worker finds the task without a wake-up
  }
  if (wake) cv_.notify_one();
}

void ThreadPool::Run() {
  for (;;) {
    SpinUntil([this] { return queued_.load(std::memory_order_acquire) > 0; });
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++sleepers_;
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      --sleepers_;
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
    }
    task();
  }
}

void ThreadPool::Yield() { sched_yield(); }

// Long enough to bridge the gap between one node's parallel loop and the next, short enough
// that an idle session gives its cores back at once.
std::chrono::microseconds ThreadPool::SpinTime() { return std::chrono::microseconds(50); }

int ThreadPool::DefaultThreads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace ipfs_accelerate
