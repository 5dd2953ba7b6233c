// The remote block sources against a real HTTP server on 127.0.0.1 that answers as a trustless
// gateway or as Kubo's RPC API would, from blocks in memory, and can be told to misbehave.
#include "net/remote_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "../test_util.h"
#include "net/source_chain.h"
#include "server/http_server.h"

namespace ipfs_accelerate::net {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using server::Responder;
using test_util::HasSubstr;

// How the server answers.
enum class Mode { kGood, kCorrupt, kWrongType, kHuge, kStall, kServerError };

class Remote {
 public:
  explicit Remote(bool kubo) : kubo_(kubo) {
    server::HttpServerOptions options;
    options.port = 0;
    options.io_threads = 2;
    auto started = server::HttpServer::Start(
        options, [this](HttpRequest r, Responder respond) { Answer(std::move(r), respond); });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) server_ = std::move(started).value();
  }
  ~Remote() {
    if (server_) server_->Stop(0);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  store::Cid Add(const std::string& block) { return blocks_.PutBlock(block, store::kCodecRaw); }
  void set_mode(Mode m) { mode_ = m; }
  int requests() const { return requests_; }
  const HttpRequest& last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  void Answer(HttpRequest r, const Responder& respond) {
    ++requests_;
    {
      std::lock_guard lock(mu_);
      last_ = r;
    }
    if (mode_ == Mode::kStall) return;  // never answers; Stop closes the connection
    std::string cid_text;
    if (kubo_) {
      if (r.method != "POST") return respond(HttpResponse::Error(405, "POST only"));
      cid_text = r.query.substr(r.query.find("arg=") + 4);
    } else {
      cid_text = r.path.substr(std::string("/ipfs/").size());
    }
    auto cid = store::Cid::Parse(cid_text);
    auto block = cid.ok() ? blocks_.GetBlock(*cid) : Result<std::string>(cid.status());
    HttpResponse out;
    if (mode_ == Mode::kServerError) return respond(HttpResponse::Error(502, "upstream broke"));
    if (!block.ok()) {
      if (!kubo_) return respond(HttpResponse::Error(404, "no such block"));
      out.status = 500;
      out.body = std::string("{\"Message\":\"block was not found locally (offline)\",") +
                 "\"Code\":0,\"Type\":\"error\"}";
      return respond(std::move(out));
    }
    out.content_type = kubo_ ? "text/plain" : "application/vnd.ipld.raw";
    out.body = *block;
    if (mode_ == Mode::kCorrupt) out.body[0] ^= 1;
    if (mode_ == Mode::kWrongType) out.content_type = "text/html";
    if (mode_ == Mode::kHuge) out.body.assign(kMaxRemoteBlockBytes + 1, 'x');
    respond(std::move(out));
  }

  bool kubo_;
  test_util::MemBlockStore blocks_;
  std::atomic<Mode> mode_{Mode::kGood};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  HttpRequest last_;
  std::unique_ptr<server::HttpServer> server_;
};

constexpr std::chrono::milliseconds kTimeout{5000};

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
  EXPECT_EQ(typed.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(typed.status().message(), "text/html"));
  gw.set_mode(Mode::kHuge);
  auto huge = source.GetBlock(cid);
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted) << huge.status().ToString();
  gw.set_mode(Mode::kServerError);
  auto broke = source.GetBlock(cid);
  EXPECT_EQ(broke.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(broke.status().message(), "502"));
  EXPECT_FALSE(source.down());  // none of these sent wrong bytes
  gw.set_mode(Mode::kGood);
  EXPECT_TRUE(source.GetBlock(cid).ok());
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
  EXPECT_EQ(none.status().code(), StatusCode::kIoError) << none.status().ToString();
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
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError) << failed.status().ToString();
  EXPECT_FALSE(local.Has(cid));
}

}  // namespace
}  // namespace ipfs_accelerate::net
