// The block cache: least recently used blocks leave first, and the byte budget is never exceeded.
#include "store/block_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ipfs_accelerate::store {
namespace {

std::shared_ptr<const std::string> Bytes(size_t n, char c = 'x') {
  return std::make_shared<const std::string>(n, c);
}

TEST(BlockCacheTest, GetReturnsWhatWasPut) {
  BlockCache cache(1000);
  EXPECT_EQ(cache.Get("a"), nullptr);
  cache.Put("a", Bytes(10, 'a'));
  auto got = cache.Get("a");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, std::string(10, 'a'));
  EXPECT_EQ(cache.bytes(), 10u);
  EXPECT_EQ(cache.budget(), 1000u);
}

TEST(BlockCacheTest, EvictsLeastRecentlyUsedByBytes) {
  BlockCache cache(100);
  cache.Put("a", Bytes(40));
  cache.Put("b", Bytes(40));
  cache.Put("c", Bytes(40));  // 120 > 100: "a" goes
  EXPECT_EQ(cache.Get("a"), nullptr);
  EXPECT_NE(cache.Get("b"), nullptr);
  EXPECT_NE(cache.Get("c"), nullptr);
  EXPECT_EQ(cache.bytes(), 80u);
}

TEST(BlockCacheTest, GetMakesABlockRecent) {
  BlockCache cache(100);
  cache.Put("a", Bytes(40));
  cache.Put("b", Bytes(40));
  ASSERT_NE(cache.Get("a"), nullptr);  // now "b" is the oldest
  cache.Put("c", Bytes(40));
  EXPECT_NE(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_NE(cache.Get("c"), nullptr);
}

TEST(BlockCacheTest, OneLargeBlockCanEvictSeveral) {
  BlockCache cache(100);
  for (const char* k : {"a", "b", "c", "d"}) cache.Put(k, Bytes(20));
  cache.Put("big", Bytes(90));
  EXPECT_NE(cache.Get("big"), nullptr);
  for (const char* k : {"a", "b", "c", "d"}) EXPECT_EQ(cache.Get(k), nullptr) << k;
  EXPECT_EQ(cache.bytes(), 90u);
}

TEST(BlockCacheTest, BlocksLargerThanTheBudgetAreNotCached) {
  BlockCache cache(100);
  cache.Put("a", Bytes(50));
  cache.Put("huge", Bytes(101));
  EXPECT_EQ(cache.Get("huge"), nullptr);
  EXPECT_NE(cache.Get("a"), nullptr) << "a block that cannot be cached must not evict others";
  EXPECT_EQ(cache.bytes(), 50u);
  cache.Put("exact", Bytes(100));
  EXPECT_NE(cache.Get("exact"), nullptr);
  EXPECT_EQ(cache.bytes(), 100u);
}

TEST(BlockCacheTest, PuttingAKeyAgainDoesNotCountTwice) {
  BlockCache cache(100);
  cache.Put("a", Bytes(40));
  cache.Put("a", Bytes(40));
  EXPECT_EQ(cache.bytes(), 40u);
}

TEST(BlockCacheTest, EraseFreesBytes) {
  BlockCache cache(100);
  cache.Put("a", Bytes(40));
  cache.Put("b", Bytes(30));
  cache.Erase("a");
  cache.Erase("missing");
  EXPECT_EQ(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.bytes(), 30u);
}

TEST(BlockCacheTest, ZeroBudgetCachesNothing) {
  BlockCache cache(0);
  cache.Put("a", Bytes(1));
  EXPECT_EQ(cache.Get("a"), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(BlockCacheTest, EvictedBlocksStayValidForHolders) {
  BlockCache cache(10);
  cache.Put("a", Bytes(10, 'a'));
  auto held = cache.Get("a");
  cache.Put("b", Bytes(10, 'b'));
  EXPECT_EQ(cache.Get("a"), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, std::string(10, 'a'));
}

TEST(BlockCacheTest, ConcurrentUseStaysWithinBudget) {
  BlockCache cache(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = std::to_string((i * 7 + t) % 300);
        if (auto hit = cache.Get(key)) {
          EXPECT_EQ(hit->size(), 10u + (std::stoi(key) % 50));
        } else {
          cache.Put(key, Bytes(10 + (std::stoi(key) % 50)));
        }
        if (i % 100 == 0) cache.Erase(key);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.bytes(), 1000u);
}

}  // namespace
}  // namespace ipfs_accelerate::store
