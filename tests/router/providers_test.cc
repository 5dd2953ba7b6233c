// The provider directory (this node for what its repository holds, peers it was told of) and
// asking delegated routers for gateways before a fetch.
#include "router/providers.h"

#include <gtest/gtest.h>

#include <memory>

#include "../test_util.h"
#include "server/http_server.h"
#include "store/repo.h"

namespace ipfs_accelerate::router {
namespace {

using test_util::HasSubstr;

constexpr char kSelf[] = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr char kOther[] = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

store::Cid StoreBlock(const std::string& repo_path, const std::string& block) {
  auto repo = store::Repo::Open(repo_path);
  EXPECT_TRUE(repo.ok());
  store::Cid cid = store::Cid::V1(store::kCodecRaw, store::Sha256Multihash(test_util::Span(block)));
  auto writer = (*repo)->NewWriter(store::BlockWriter::Publish::kOnCommit);
  std::span<const uint8_t> parts[] = {test_util::Span(block)};
  EXPECT_TRUE(writer->Put(cid, parts).ok());
  EXPECT_TRUE(writer->Commit().ok());
  return cid;
}

TEST(ProviderDirectoryTest, ThisNodeProvidesWhatItsRepositoryHoldsOnceItListens) {
  test_util::TempDir dir;
  store::Cid held = StoreBlock(dir.path(), "held");
  store::Cid absent =
      store::Cid::V1(store::kCodecRaw, store::Sha256Multihash(test_util::Span(std::string("x"))));
  ProviderDirectory directory(dir.path());
  EXPECT_TRUE(directory.ProvidersOf(held).empty());  // not listening yet
  directory.SetSelf(kSelf, {"/ip4/127.0.0.1/tcp/1/http"});
  auto found = directory.ProvidersOf(held);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, kSelf);
  EXPECT_TRUE(directory.ProvidersOf(absent).empty());

  directory.AddPeer({.peer_id = kOther,
                     .addrs = {"/ip4/127.0.0.2/tcp/2/http"},
                     .protocols = {net::kGatewayProtocol},
                     .holds = [&](const store::Cid& c) { return c == absent; }});
  auto other = directory.ProvidersOf(absent);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].id, kOther);
  ASSERT_TRUE(directory.FindPeer(kOther).has_value());
  EXPECT_EQ(directory.FindPeer(kSelf)->addrs[0], "/ip4/127.0.0.1/tcp/1/http");
  EXPECT_FALSE(directory.FindPeer("nope").has_value());

  // Replacing the peers (a node that left the network) keeps this node.
  directory.SetPeers({});
  EXPECT_TRUE(directory.ProvidersOf(absent).empty());
  EXPECT_FALSE(directory.FindPeer(kOther).has_value());
  ASSERT_EQ(directory.ProvidersOf(held).size(), 1u);
}

// A router on 127.0.0.1 that answers one fixed NDJSON body (or a status).
class FixedRouter {
 public:
  FixedRouter(int status, std::string body) {
    server::HttpServerOptions options;
    options.port = 0;
    auto started = server::HttpServer::Start(
        options, [status, body](server::HttpRequest, server::Responder respond) {
          server::HttpResponse r;
          r.status = status;
          r.content_type = net::kNdjsonType;
          r.body = body;
          respond(std::move(r));
        });
    EXPECT_TRUE(started.ok());
    if (started.ok()) server_ = std::move(started).value();
  }
  ~FixedRouter() {
    if (server_) server_->Stop(0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

 private:
  std::unique_ptr<server::HttpServer> server_;
};

std::string Line(const std::string& id, const std::string& addr) {
  return "{\"Schema\":\"peer\",\"ID\":\"" + id + "\",\"Addrs\":[\"" + addr + "\"]}\n";
}

TEST(WithRoutedGatewaysTest, ProviderGatewaysFollowTheConfiguredOnesWithoutDuplicates) {
  FixedRouter a(200, Line(kSelf, "/ip4/127.0.0.1/tcp/7001/http") +
                         Line(kOther, "/ip4/127.0.0.1/tcp/7000/http"));
  FixedRouter b(200, Line(kOther, "/ip4/127.0.0.1/tcp/7001/http"));
  FetchRequest request;
  request.gateways = {"http://127.0.0.1:7000"};
  request.routers = {a.url(), b.url()};
  request.timeout = std::chrono::seconds(10);
  auto routed = WithRoutedGateways(
      request, store::Cid::V1(store::kCodecRaw, std::string("\x12\x20", 2) + std::string(32, 'a')));
  ASSERT_TRUE(routed.ok()) << routed.status().ToString();
  EXPECT_EQ(routed->gateways,
            (std::vector<std::string>{"http://127.0.0.1:7000", "http://127.0.0.1:7001"}));
}

TEST(WithRoutedGatewaysTest, WithoutAnotherSourceBadRoutersAreAnErrorSayingWhy) {
  FixedRouter garbage_addrs(200, Line(kSelf, "/ip4/999.0.0.1/tcp/80/http"));
  FixedRouter garbage_json(200, "{\"Schema\":\n");
  FixedRouter none(404, "");
  FetchRequest request;
  request.routers = {garbage_addrs.url(), garbage_json.url(), none.url()};
  request.timeout = std::chrono::seconds(10);
  store::Cid cid =
      store::Cid::V1(store::kCodecRaw, std::string("\x12\x20", 2) + std::string(32, 'a'));
  auto routed = WithRoutedGateways(request, cid);
  ASSERT_FALSE(routed.ok());
  const std::string& m = routed.status().message();
  EXPECT_TRUE(HasSubstr(m, "no source for " + cid.ToString()));
  EXPECT_TRUE(HasSubstr(m, "malformed multiaddr \"/ip4/999.0.0.1/tcp/80/http\""));
  EXPECT_TRUE(HasSubstr(m, "no providers"));
  // With a configured gateway the same routers are only warnings.
  request.gateways = {"http://127.0.0.1:7000"};
  auto with_gateway = WithRoutedGateways(request, cid);
  ASSERT_TRUE(with_gateway.ok());
  EXPECT_EQ(with_gateway->gateways, std::vector<std::string>{"http://127.0.0.1:7000"});
}

}  // namespace
}  // namespace ipfs_accelerate::router
