// Fetching DAGs as streamed CARs (net/car_fetcher.h through FetchDag) from real HTTP servers on
// 127.0.0.1 (tests/net/test_gateway.h), well-behaved and not, with the fallback to block requests.
#include "net/car_fetcher.h"

#include <gtest/gtest.h>

#include <set>

#include "net/dag_fetcher.h"
#include "store/dag_walk.h"
#include "test_gateway.h"

namespace ipfs_accelerate::net {
namespace {

using test_util::HasSubstr;

// The blocks of the DAG below `root` in `server`, in depth-first order.
std::vector<store::Cid> DagBlocks(Remote& server, const store::Cid& root) {
  std::vector<store::Cid> out;
  Status s = store::WalkDag(server.blocks(), root, [&](const store::Cid& cid, const std::string&) {
    out.push_back(cid);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

struct Fetched {
  Status status;
  DagFetchProgress last;
};

Fetched Fetch(test_util::MemBlockStore& local, std::vector<RemoteBlockSource*> sources,
              const store::Cid& root, const CancelToken* cancel = nullptr,
              const std::function<void(const DagFetchProgress&)>& also = nullptr) {
  Fetched out;
  out.status = FetchDag(
      local, local, sources, root,
      {.window = 4, .retry = {.backoff = std::chrono::milliseconds(5)}},
      [&](const DagFetchProgress& p) {
        out.last = p;
        if (also) also(p);
      },
      cancel);
  return out;
}

TEST(CarFetcherTest, AWholeDagComesAsOneCarEqualToTheContent) {
  Remote gw(false);
  const std::string content = test_util::DistinctBytes(150000);
  store::Cid root = ImportFile(content, {&gw});
  const size_t total = DagBlocks(gw, root).size();
  GatewaySource source(gw.url(), kTimeout);
  test_util::MemBlockStore local;
  Fetched got = Fetch(local, {&source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(gw.car_requests(), 1);
  EXPECT_TRUE(gw.raw_asked().empty());
  EXPECT_EQ(got.last.blocks, total);
  EXPECT_EQ(got.last.fetched_blocks, total);
  EXPECT_EQ(got.last.fetched_bytes, got.last.bytes);
  EXPECT_EQ(got.last.last_source, gw.url());
  EXPECT_EQ(got.last.cars, 1u);
  EXPECT_EQ(got.last.car_fallbacks, 0u);
  EXPECT_EQ(local.puts(), total);  // each block written once
  const auto& asked = gw.last();
  EXPECT_EQ(asked.path, "/ipfs/" + root.ToString());
  EXPECT_TRUE(HasSubstr(asked.query, "format=car")) << asked.query;
  EXPECT_TRUE(HasSubstr(asked.query, "dag-scope=all")) << asked.query;
  EXPECT_TRUE(HasSubstr(asked.Header("accept"), "order=dfs; dups=n"));
  EXPECT_FALSE(source.down());
  EXPECT_EQ(source.stats().requests, 1u);
}

TEST(CarFetcherTest, ABlockThatDoesNotMatchItsCidIsNotStoredAndItsSourceIsMarkedDown) {
  Remote liar(false), good(false);
  const std::string content = test_util::DistinctBytes(60000);
  store::Cid root = ImportFile(content, {&liar, &good});
  liar.set_car_mode(CarMode::kCorrupt);
  GatewaySource bad_source(liar.url(), kTimeout), good_source(good.url(), kTimeout);
  test_util::MemBlockStore local;
  // Both untried: the first listed is asked first.
  Fetched got = Fetch(local, {&bad_source, &good_source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);  // every stored block verifies on read
  EXPECT_EQ(liar.car_requests(), 1);
  EXPECT_TRUE(bad_source.down());
  EXPECT_TRUE(HasSubstr(bad_source.down_reason(), "do not hash")) << bad_source.down_reason();
  EXPECT_TRUE(liar.raw_asked().empty());  // down: asked nothing more
  // The blocks before the bad one were kept; the bad one (a raw leaf) came as a block.
  EXPECT_EQ(good.car_requests(), 0);
  EXPECT_EQ(good.raw_asked().size(), 1u);
  EXPECT_EQ(got.last.car_fallbacks, 1u);
  EXPECT_EQ(local.puts(), DagBlocks(good, root).size());
}

TEST(CarFetcherTest, ABlockNothingLinksToStopsTheStreamAndIsNotStored) {
  Remote stray(false), good(false);
  const std::string content = test_util::DistinctBytes(30000);
  store::Cid root = ImportFile(content, {&stray, &good});
  stray.set_car_mode(CarMode::kUnexpected);
  GatewaySource stray_source(stray.url(), kTimeout), good_source(good.url(), kTimeout);
  test_util::MemBlockStore local;
  Fetched got = Fetch(local, {&stray_source, &good_source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_TRUE(stray_source.down());
  EXPECT_TRUE(HasSubstr(stray_source.down_reason(), "no block before it links to it"))
      << stray_source.down_reason();
  const store::Cid unlinked =
      test_util::MemBlockStore().PutBlock("a block nothing links to", store::kCodecRaw);
  EXPECT_FALSE(local.Has(unlinked));
  EXPECT_EQ(local.size(), DagBlocks(good, root).size());
}

TEST(CarFetcherTest, ATruncatedStreamKeepsWhatCameAndFetchesOnlyTheRestBlockByBlock) {
  // Large enough that the server sends part of the CAR (it writes 256 KiB at a time) before
  // the connection breaks.
  Remote gw(false);
  const std::string content = test_util::DistinctBytes(700000);
  store::Cid root = ImportFile(content, {&gw});
  const size_t total = DagBlocks(gw, root).size();
  gw.set_car_mode(CarMode::kTruncated);
  GatewaySource source(gw.url(), kTimeout);
  test_util::MemBlockStore local;
  Fetched got = Fetch(local, {&source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(got.last.car_fallbacks, 1u);
  EXPECT_FALSE(source.down());  // a broken stream is not a lie: its blocks are still asked for
  const std::vector<std::string> asked = gw.raw_asked();
  EXPECT_FALSE(asked.empty());
  EXPECT_LT(asked.size(), total);  // the CAR's first half was kept
  EXPECT_EQ(std::set<std::string>(asked.begin(), asked.end()).size(), asked.size());
  EXPECT_EQ(got.last.blocks, total);
  EXPECT_EQ(got.last.fetched_blocks, total);  // none counted twice, none fetched twice
  EXPECT_EQ(local.puts(), total);
}

TEST(CarFetcherTest, AGarbageHeaderFallsBackToBlockRequests) {
  Remote gw(false);
  const std::string content = test_util::DistinctBytes(20000);
  store::Cid root = ImportFile(content, {&gw});
  gw.set_car_mode(CarMode::kGarbage);
  GatewaySource source(gw.url(), kTimeout);
  test_util::MemBlockStore local;
  Fetched got = Fetch(local, {&source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(got.last.car_fallbacks, 1u);
  EXPECT_TRUE(HasSubstr(got.last.last_fallback, "malformed")) << got.last.last_fallback;
  EXPECT_EQ(gw.raw_asked().size(), DagBlocks(gw, root).size());
  EXPECT_EQ(gw.car_requests(), 1);  // refused for CARs for the rest of the fetch
}

TEST(CarFetcherTest, ASourceThatAnswers406ToCarsIsAskedBlockByBlock) {
  Remote gw(false);
  const std::string content = test_util::DistinctBytes(20000);
  store::Cid root = ImportFile(content, {&gw});
  gw.set_car_mode(CarMode::kRefuse);
  GatewaySource source(gw.url(), kTimeout);
  test_util::MemBlockStore local;
  Fetched got = Fetch(local, {&source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(gw.car_requests(), 1);
  EXPECT_EQ(gw.raw_asked().size(), DagBlocks(gw, root).size());
  EXPECT_TRUE(HasSubstr(got.last.last_fallback, "406")) << got.last.last_fallback;
  EXPECT_FALSE(source.down());
  EXPECT_EQ(source.stats().failures, 0u);  // not serving CARs is an answer, not a failure
}

TEST(CarFetcherTest, AKuboNodeExportsTheDagAsOneCar) {
  Remote node(true);
  const std::string content = test_util::DistinctBytes(20000);
  store::Cid root = ImportFile(content, {&node});
  KuboRpcSource source(node.url(), kTimeout);
  test_util::MemBlockStore local;
  Fetched got = Fetch(local, {&source}, root);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(node.requests(), 1);  // POST /api/v0/dag/export, nothing block by block
  EXPECT_EQ(node.car_requests(), 1);
  EXPECT_EQ(node.last().method, "POST");
  EXPECT_EQ(node.last().path, "/api/v0/dag/export");
}

TEST(CarFetcherTest, AFetchStoppedMidCarResumesWithOnlyTheMissingBlocks) {
  Remote gw(false);
  const std::string content = test_util::DistinctBytes(150000);
  store::Cid root = ImportFile(content, {&gw});
  const size_t total = DagBlocks(gw, root).size();
  GatewaySource source(gw.url(), kTimeout);
  // What a fetch killed part way leaves: the blocks of a CAR come depth first, so a prefix of
  // the walk (the root, the first subtrees, part of the next).
  test_util::MemBlockStore local;
  const std::vector<store::Cid> order = DagBlocks(gw, root);
  for (size_t i = 0; i < 40; ++i) {
    std::string block = gw.blocks().GetBlock(order[i]).value();
    std::span<const uint8_t> parts[] = {test_util::Span(block)};
    ASSERT_TRUE(local.Put(order[i], parts).ok());
  }
  const std::set<std::string> stored = local.multihashes();
  const int cars_before = gw.car_requests();

  Fetched second = Fetch(local, {&source}, root);
  ASSERT_TRUE(second.status.ok()) << second.status.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(second.last.blocks, total);
  EXPECT_EQ(second.last.fetched_blocks, total - stored.size());
  EXPECT_EQ(local.puts(), total);             // no block written twice
  EXPECT_GT(gw.car_requests(), cars_before);  // the missing subtrees came as CARs
  for (const std::string& text : gw.raw_asked()) {
    EXPECT_EQ(stored.count(store::Cid::Parse(text)->multihash()), 0u) << text << " asked again";
  }
}

}  // namespace
}  // namespace ipfs_accelerate::net
