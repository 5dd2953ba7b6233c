// A fixed set of worker threads that run submitted tasks in FIFO order. An idle worker polls for
// the next task a short while (SpinTime) before it sleeps: an inference run submits one small
// parallel loop after another, and waking a sleeping thread costs more than such a loop (tens of
// microseconds on a virtual machine).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ipfs_accelerate {

class ThreadPool {
 public:
  // Starts `threads` workers (at least one).
  explicit ThreadPool(int threads);
  // Finishes queued tasks, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }

  // Queues `fn`; the future yields its result.
  template <typename F>
  auto Submit(F fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    std::future<R> result = task->get_future();
    Enqueue([task] { (*task)(); });
    return result;
  }

  // The number of cores this process may run on.
  static int DefaultThreads();

  // How long an idle worker, or a caller waiting for a parallel loop, polls before it sleeps.
  static std::chrono::microseconds SpinTime();

  // Polls `done` until it is true or SpinTime() has passed, letting any other thread that wants
  // this core run meanwhile; returns done().
  template <typename Done>
  static bool SpinUntil(const Done& done) {
    const auto until = std::chrono::steady_clock::now() + SpinTime();
    for (int i = 0;; ++i) {
      if (done()) return true;
      if ((i & 15) == 15) {
        if (std::chrono::steady_clock::now() >= until) return done();
        Yield();
      }
    }
  }

 private:
  void Enqueue(std::function<void()> task);
  void Run();
  static void Yield();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::atomic<int64_t> queued_{0};  // tasks_.size(), for the workers that poll
  int sleepers_ = 0;                // workers waiting on cv_ (under mu_)
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ipfs_accelerate
