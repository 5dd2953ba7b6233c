// The remote block sources against a real HTTP server on 127.0.0.1 that answers as a trustless
// gateway or as Kubo's RPC API would, from blocks in memory, and can be told to misbehave
// (tests/net/test_gateway.h).
#include "net/remote_source.h"

#include <gtest/gtest.h>

#include "net/dag_fetcher.h"
#include "net/source_chain.h"
#include "test_gateway.h"

namespace ipfs_accelerate::net {
namespace {

using test_util::HasSubstr;

TEST(GatewaySourceTest, GetsAVerifiedRawBlockAsTheSpecAsks) {
  Remote gw(false);
  store::Cid cid = gw.Add("hello gateway");
  GatewaySource source(gw.url() + "/", kTimeout);
  auto got = source.GetBlock(cid);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "hello gateway");
  EXPECT_EQ(gw.last().method, "GET");
  EXPECT_EQ(gw.last().path, "/ipfs/" + cid.ToString());
  EXPECT_EQ(gw.last().query, "format=raw");
  EXPECT_EQ(gw.last().Header("accept"), "application/vnd.ipld.raw");
  EXPECT_FALSE(source.down());
}

TEST(GatewaySourceTest, AMissingBlockIsNotFound) {
  Remote gw(false);
  store::Cid cid = test_util::MemBlockStore().PutBlock("elsewhere", store::kCodecRaw);
  GatewaySource source(gw.url(), kTimeout);
  auto got = source.GetBlock(cid);
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
  EXPECT_FALSE(source.down());
}

TEST(GatewaySourceTest, BytesThatDoNotMatchTheCidAreRefusedAndTheSourceIsMarkedDown) {
  Remote gw(false);
  store::Cid cid = gw.Add("the real bytes");
  gw.set_mode(Mode::kCorrupt);
  GatewaySource source(gw.url(), kTimeout);
  auto got = source.GetBlock(cid);
  EXPECT_EQ(got.status().code(), StatusCode::kCorruption) << got.status().ToString();
  EXPECT_TRUE(HasSubstr(got.status().message(), "do not hash to that CID"));
  EXPECT_TRUE(source.down());
  // A down source is asked nothing more, even once it would answer well.
  gw.set_mode(Mode::kGood);
  const int before = gw.requests();
  auto again = source.GetBlock(cid);
  EXPECT_FALSE(again.ok());
  EXPECT_TRUE(HasSubstr(again.status().message(), "is down"));
  EXPECT_EQ(gw.requests(), before);
}

TEST(GatewaySourceTest, WrongContentTypeOversizedBodiesAndServerErrorsAreClearErrors) {
  Remote gw(false);
  store::Cid cid = gw.Add("typed");
  GatewaySource source(gw.url(), kTimeout);
  gw.set_mode(Mode::kWrongType);
  auto typed = source.GetBlock(cid);
  EXPECT_EQ(typed.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(HasSubstr(typed.status().message(), "text/html"));
  gw.set_mode(Mode::kHuge);
  auto huge = source.GetBlock(cid);
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted) << huge.status().ToString();
  EXPECT_FALSE(source.down());  // none of these sent wrong bytes
  gw.set_mode(Mode::kGood);
  EXPECT_TRUE(source.GetBlock(cid).ok());  // and a good answer starts the count again
  gw.set_mode(Mode::kServerError);
  auto broke = source.GetBlock(cid);
  EXPECT_EQ(broke.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(HasSubstr(broke.status().message(), "502"));
  EXPECT_FALSE(source.down());
  // Failing kMaxFailuresInARow requests in a row puts the source down.
  for (int i = 1; i < kMaxFailuresInARow; ++i) EXPECT_FALSE(source.GetBlock(cid).ok());
  EXPECT_TRUE(source.down());
  EXPECT_TRUE(HasSubstr(source.down_reason(), "in a row"));
}

TEST(GatewaySourceTest, AStalledSourceTimesOutAndAnUnreachableOneIsAnIoError) {
  Remote gw(false);
  store::Cid cid = gw.Add("slow");
  gw.set_mode(Mode::kStall);
  GatewaySource stalled(gw.url(), std::chrono::milliseconds(300));
  auto got = stalled.GetBlock(cid);
  EXPECT_EQ(got.status().code(), StatusCode::kDeadlineExceeded) << got.status().ToString();

  GatewaySource nowhere("http://127.0.0.1:1", kTimeout);
  auto none = nowhere.GetBlock(cid);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable) << none.status().ToString();
  EXPECT_TRUE(HasSubstr(none.status().message(), "127.0.0.1:1"));

  GatewaySource bad_url("ftp://127.0.0.1", kTimeout);
  EXPECT_EQ(bad_url.GetBlock(cid).status().code(), StatusCode::kInvalidArgument);
}

TEST(KuboRpcSourceTest, PostsBlockGetAndReadsKuboErrors) {
  Remote node(true);
  store::Cid cid = node.Add("from the local node");
  KuboRpcSource source(node.url(), kTimeout);
  auto got = source.GetBlock(cid);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "from the local node");
  EXPECT_EQ(node.last().method, "POST");
  EXPECT_EQ(node.last().path, "/api/v0/block/get");
  EXPECT_EQ(node.last().query, "arg=" + cid.ToString());

  store::Cid absent = test_util::MemBlockStore().PutBlock("not there", store::kCodecRaw);
  auto missing = source.GetBlock(absent);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(missing.status().message(), "not found locally"));
}

TEST(SourceChainTest, LocalFirstThenRemoteWithWriteBackSkippingACorruptSource) {
  Remote corrupt(false), good(false);
  const std::string block = "a model's block";
  store::Cid cid = corrupt.Add(block);
  good.Add(block);
  corrupt.set_mode(Mode::kCorrupt);
  test_util::MemBlockStore local;
  GatewaySource bad_source(corrupt.url(), kTimeout), good_source(good.url(), kTimeout);
  SourceChain chain({&local}, {&bad_source, &good_source}, &local);

  auto got = chain.GetBlock(cid);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, block);
  EXPECT_TRUE(bad_source.down());
  EXPECT_TRUE(local.Has(cid));  // written back, verified bytes only
  EXPECT_EQ(*local.GetBlock(cid), block);

  // Now local: no remote source is asked.
  const int asked = good.requests();
  EXPECT_TRUE(chain.GetBlock(cid).ok());
  EXPECT_EQ(good.requests(), asked);
}

TEST(SourceChainTest, NotFoundWhenNoSourceHasTheBlockAndAnErrorWhenSomeFailed) {
  Remote a(false), b(false);
  store::Cid cid = test_util::MemBlockStore().PutBlock("nobody", store::kCodecRaw);
  test_util::MemBlockStore local;
  GatewaySource sa(a.url(), kTimeout), sb(b.url(), kTimeout);
  SourceChain chain({&local}, {&sa, &sb}, &local);
  auto got = chain.GetBlock(cid);
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
  EXPECT_TRUE(HasSubstr(got.status().message(), a.url()));
  EXPECT_TRUE(HasSubstr(got.status().message(), b.url()));

  b.set_mode(Mode::kServerError);
  auto failed = chain.GetBlock(cid);
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable) << failed.status().ToString();
  EXPECT_FALSE(local.Has(cid));
}

TEST(DagFetcherTest, FetchesAWholeDagWithManyRequestsInFlightAcrossSources) {
  Remote a(false), b(false);
  const std::string content = test_util::DistinctBytes(150000);
  store::Cid root = ImportFile(content, {&a, &b});
  GatewaySource sa(a.url(), kTimeout), sb(b.url(), kTimeout);
  test_util::MemBlockStore local;
  DagFetchProgress last;
  Status s = FetchDagBlocks(
      local, local, {&sa, &sb}, root, {.window = 6}, [&](const DagFetchProgress& p) { last = p; },
      nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadFile(local, root), content);  // every block there, each verified on read
  EXPECT_GT(last.blocks, 140u);
  EXPECT_EQ(last.fetched_blocks, last.blocks);
  EXPECT_EQ(a.requests() + b.requests(), static_cast<int>(last.blocks));  // each block once
  EXPECT_GT(a.requests(), 0);  // both sources were scored and used
  EXPECT_GT(b.requests(), 0);
  EXPECT_GT(sa.stats().requests + sb.stats().requests, 0u);
}

TEST(DagFetcherTest, ACorruptAndAStalledSourceAreDroppedAndTheHealthyOneFinishes) {
  Remote corrupt(false), stalled(false), good(false);
  const std::string content = test_util::DistinctBytes(60000);
  store::Cid root = ImportFile(content, {&corrupt, &stalled, &good});
  corrupt.set_mode(Mode::kCorrupt);
  stalled.set_mode(Mode::kStall);
  const std::chrono::milliseconds short_timeout(300);
  GatewaySource sc(corrupt.url(), short_timeout), ss(stalled.url(), short_timeout),
      sg(good.url(), short_timeout);
  test_util::MemBlockStore local;
  Status s = FetchDagBlocks(
      local, local, {&sc, &ss, &sg}, root,
      {.window = 4, .retry = {.retries = 5, .backoff = std::chrono::milliseconds(10)}}, nullptr,
      nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadFile(local, root), content);  // nothing corrupt was stored
  EXPECT_TRUE(sc.down());
  EXPECT_TRUE(HasSubstr(sc.down_reason(), "do not hash"));
  // The stalled source timed out, and its score keeps blocks away from it (or it is down).
  EXPECT_GT(ss.stats().failures, 0u);
  EXPECT_GT(sg.stats().requests, ss.stats().requests);
  EXPECT_FALSE(sg.down());
}

TEST(DagFetcherTest, StoredBlocksAreNotAskedForAgain) {
  Remote gw(false);
  const std::string content = test_util::DistinctBytes(40000);
  store::Cid root = ImportFile(content, {&gw});
  GatewaySource source(gw.url(), kTimeout);
  test_util::MemBlockStore local;
  // A first fetch that stops after 10 blocks (cancelled), as a killed one would.
  CancelToken cancel;
  int seen = 0;
  Status first = FetchDagBlocks(
      local, local, {&source}, root, {.window = 1},
      [&](const DagFetchProgress&) {
        if (++seen == 10) cancel.Cancel();
      },
      &cancel);
  EXPECT_EQ(first.code(), StatusCode::kCancelled) << first.ToString();
  const int asked_first = gw.requests();
  ASSERT_GE(asked_first, 10);
  DagFetchProgress last;
  Status second = FetchDagBlocks(
      local, local, {&source}, root, {.window = 3}, [&](const DagFetchProgress& p) { last = p; },
      nullptr);
  ASSERT_TRUE(second.ok()) << second.ToString();
  EXPECT_EQ(ReadFile(local, root), content);
  EXPECT_EQ(last.blocks - last.fetched_blocks, static_cast<uint64_t>(asked_first));
  EXPECT_EQ(gw.requests(), static_cast<int>(last.blocks));  // no block was asked for twice
}

TEST(DagFetcherTest, ABlockNoSourceHasIsNotFoundNamingEachSource) {
  Remote a(false), b(false);
  store::Cid root = ImportFile(test_util::DistinctBytes(5000), {&a});
  GatewaySource sb(b.url(), kTimeout);
  test_util::MemBlockStore local;
  Status s = FetchDagBlocks(local, local, {&sb}, root, {}, nullptr, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_TRUE(HasSubstr(s.message(), b.url()));
  Status none = FetchDagBlocks(local, local, {}, root, {}, nullptr, nullptr);
  EXPECT_EQ(none.code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(none.message(), "--from"));
}

}  // namespace
}  // namespace ipfs_accelerate::net
