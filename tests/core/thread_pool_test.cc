// ThreadPool and ParallelFor: every item runs once, whether the pool's workers are polling for
// the next task or asleep, from nested loops and from several callers at once.
#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/parallel_for.h"

namespace ipfs_accelerate {
namespace {

// Runs ParallelFor over n items worth a thread each and checks that each ran exactly once.
void ExpectEachOnce(ThreadPool* pool, int64_t n) {
  std::vector<std::atomic<int>> hits(n);
  ParallelFor(pool, n, kWholeTask, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
}

TEST(ThreadPoolTest, TasksRunWhetherTheWorkersPollOrSleep) {
  ThreadPool pool(2);
  for (int round = 0; round < 200; ++round) ExpectEachOnce(&pool, 2 + round % 7);
  // Past the polling time the workers sleep: the next task must wake one.
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(ThreadPool::SpinTime() * 20);
    EXPECT_EQ(pool.Submit([] { return 7; }).get(), 7);
    ExpectEachOnce(&pool, 5);
  }
}

TEST(ThreadPoolTest, ConcurrentCallersAndNestedLoopsEachRunEveryItemOnce) {
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::atomic<int64_t> total{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        ParallelFor(&pool, 6, kWholeTask, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            // A loop inside a loop: it may run on a worker and waits only for what it claims.
            ParallelFor(&pool, 4, kWholeTask, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
          }
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 50 * 6 * 4);
}

TEST(ThreadPoolTest, DestructionFinishesQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.Submit([&] { ran++; });
  }
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace ipfs_accelerate
