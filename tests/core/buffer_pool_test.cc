#include "core/buffer_pool.h"

#include <gtest/gtest.h>

#include "core/tensor.h"

namespace ipfs_accelerate {
namespace {

TEST(BufferPoolTest, ReusesAFreedBufferOfTheSameSize) {
  BufferPool pool(1 << 20);
  void* first;
  {
    auto a = *pool.Get(100000);
    first = a.get();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  }
  EXPECT_EQ(pool.cached_bytes(), 100032u);  // rounded up to 64 bytes
  auto b = *pool.Get(100000);
  EXPECT_EQ(b.get(), first);
  EXPECT_EQ(pool.reused(), 1);
  EXPECT_EQ(pool.cached_bytes(), 0u);
  auto c = *pool.Get(200000);  // another size: a new buffer
  EXPECT_NE(c.get(), first);
}

TEST(BufferPoolTest, KeepsNoMoreThanItsCap) {
  BufferPool pool(150000);
  {
    auto a = *pool.Get(100000);
    auto b = *pool.Get(100000);
  }
  EXPECT_EQ(pool.cached_bytes(), 100032u);  // the second did not fit
}

TEST(BufferPoolTest, BuffersOutliveThePool) {
  std::shared_ptr<uint8_t> kept;
  {
    BufferPool pool(1 << 20);
    kept = *pool.Get(100000);
    kept.get()[99999] = 7;
  }
  EXPECT_EQ(kept.get()[99999], 7);
  kept.reset();  // freed to the system (ASan would flag a leak or a double free)
}

TEST(BufferPoolTest, TensorsTakeLargeBuffersFromTheScopedPool) {
  BufferPool pool(1 << 24);
  void* large;
  {
    ScopedBufferPool scope(&pool);
    EXPECT_EQ(ScopedBufferPool::Current(), &pool);
    Tensor t = Tensor::Empty(DType::kFloat32, {1000, 100});
    large = t.raw();
    Tensor small = Tensor::Empty(DType::kFloat32, {4});
    (void)small;
  }
  EXPECT_EQ(ScopedBufferPool::Current(), nullptr);
  EXPECT_EQ(pool.cached_bytes(), 400000u);  // the small tensor came from malloc
  ScopedBufferPool scope(&pool);
  Tensor again = Tensor::Empty(DType::kInt32, {100000});
  EXPECT_EQ(again.raw(), large);
}

TEST(BufferPoolTest, RefusesWhatWouldPassItsLimitAndCountsWhatIsOut) {
  BufferPool pool(1 << 20, 300000);
  {
    auto a = *pool.Get(100000);
    auto b = *pool.Get(100000);
    EXPECT_EQ(pool.live_bytes(), 200064u);
    auto c = pool.Get(200000);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(c.status().message().find("memory budget"), std::string::npos);
    auto small = *pool.Get(100);  // small buffers count too
    EXPECT_EQ(pool.live_bytes(), 200192u);
  }
  EXPECT_EQ(pool.live_bytes(), 0u);
  EXPECT_EQ(pool.peak_bytes(), 200192u);
}

TEST(BufferPoolTest, GivesCachedBuffersBackToMakeRoomUnderItsLimit) {
  BufferPool pool(1 << 20, 300000);
  { auto a = *pool.Get(100000); }
  { auto b = *pool.Get(150000); }
  EXPECT_EQ(pool.cached_bytes(), 250048u);
  auto c = pool.Get(200000);  // fits only once the cached buffers are gone
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(pool.cached_bytes(), 0u);
}

TEST(BufferPoolTest, NamesTheRemedyItWasGiven) {
  BufferPool pool(0);
  pool.set_limit(1000, "raise it with --memory-limit");
  auto r = pool.Get(5000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--memory-limit"), std::string::npos);
  EXPECT_EQ(pool.limit(), 1000u);
}

}  // namespace
}  // namespace ipfs_accelerate
