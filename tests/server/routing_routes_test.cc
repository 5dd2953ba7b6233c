// GET /routing/v1/providers/{cid} and /peers/{peer-id} as the Delegated Routing V1 spec asks:
// this node for the blocks its repository holds, JSON or NDJSON, 404 for none, 422 for a bad CID,
// CORS on every answer and the OPTIONS preflight, 405/400/501 for the rest.
#include "server/routing_routes.h"

#include <gtest/gtest.h>

#include "../test_util.h"
#include "net/routing.h"
#include "store/repo.h"

namespace ipfs_accelerate::server {
namespace {

using test_util::HasSubstr;

constexpr char kPeer[] = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr char kPeerCid[] = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
constexpr char kAddr[] = "/ip4/127.0.0.1/tcp/8080/http";

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  for (size_t at = 1; at < path.size();) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

class RoutingRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto repo = store::Repo::Open(dir_.path());
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    std::string block = "a block this node holds";
    held_ = store::Cid::V1(store::kCodecRaw, store::Sha256Multihash(test_util::Span(block)));
    auto writer = (*repo)->NewWriter(store::BlockWriter::Publish::kOnCommit);
    std::span<const uint8_t> parts[] = {test_util::Span(block)};
    ASSERT_TRUE(writer->Put(held_, parts).ok());
    ASSERT_TRUE(writer->Commit().ok());
    directory_.SetSelf(kPeer, {kAddr});
  }

  HttpResponse Ask(const std::string& path, const std::string& accept = "",
                   const std::string& method = "GET") {
    HttpRequest r;
    r.method = method;
    size_t q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) r.query = path.substr(q + 1);
    if (!accept.empty()) r.headers.emplace_back("accept", accept);
    HttpResponse out = RoutingResponse(r, Split(r.path), &directory_);
    EXPECT_EQ(Header(out, "Access-Control-Allow-Origin"), "*") << path;
    return out;
  }

  test_util::TempDir dir_;
  router::ProviderDirectory directory_{dir_.path()};
  store::Cid held_;
};

TEST_F(RoutingRoutesTest, ProvidersOfAHeldBlockAreThisNodeAsJson) {
  HttpResponse r = Ask("/routing/v1/providers/" + held_.ToString());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["Providers"].size(), 1u);
  EXPECT_EQ(j["Providers"][0]["Schema"], "peer");
  EXPECT_EQ(j["Providers"][0]["ID"], kPeer);
  EXPECT_EQ(j["Providers"][0]["Addrs"], nlohmann::json::array({kAddr}));
  EXPECT_EQ(j["Providers"][0]["Protocols"], nlohmann::json::array({net::kGatewayProtocol}));
  EXPECT_TRUE(HasSubstr(Header(r, "Cache-Control"), "max-age=300"));
  EXPECT_EQ(Header(r, "Vary"), "Accept");
  EXPECT_TRUE(HasSubstr(Header(r, "Last-Modified"), " GMT"));
  // Our own client reads it back.
  auto parsed = net::ParseProviders(r.body, r.content_type);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->records.size(), 1u);
}

TEST_F(RoutingRoutesTest, NdjsonWhenAskedOneRecordPerLine) {
  HttpResponse r = Ask("/routing/v1/providers/" + held_.ToString(),
                       "application/x-ndjson, application/json;q=0.8");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  ASSERT_FALSE(r.body.empty());
  EXPECT_EQ(r.body.back(), '\n');
  EXPECT_EQ(r.body.find('\n'), r.body.size() - 1);
  EXPECT_EQ(nlohmann::json::parse(r.body)["ID"], kPeer);
}

TEST_F(RoutingRoutesTest, NoProviderIs404AndABadCidIs422) {
  auto absent = store::Cid::Parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  HttpResponse none = Ask("/routing/v1/providers/" + absent->ToString());
  EXPECT_EQ(none.status, 404);
  EXPECT_TRUE(HasSubstr(Header(none, "Cache-Control"), "max-age=15"));
  HttpResponse bad = Ask("/routing/v1/providers/not-a-cid");
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(HasSubstr(bad.body, "invalid CID"));
  // A protocol filter that matches nothing leaves nothing.
  EXPECT_EQ(Ask("/routing/v1/providers/" + held_.ToString() + "?filter-protocols=transport-bitswap")
                .status,
            404);
  EXPECT_EQ(Ask("/routing/v1/providers/" + held_.ToString() +
                "?filter-protocols=transport-bitswap%2Ctransport-ipfs-gateway-http")
                .status,
            200);
}

TEST_F(RoutingRoutesTest, CorsPreflightAndOtherMethodsAndPaths) {
  HttpResponse pre = Ask("/routing/v1/providers/" + held_.ToString(), "", "OPTIONS");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(Header(pre, "Access-Control-Allow-Methods"), "GET, OPTIONS");
  HttpResponse post = Ask("/routing/v1/providers/" + held_.ToString(), "", "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, OPTIONS");
  EXPECT_EQ(Ask("/routing/v1/nothing/here").status, 400);
  EXPECT_EQ(Ask("/routing/v2/providers/x").status, 400);
  EXPECT_EQ(Ask("/routing/v1/ipns/k51xyz").status, 501);
}

TEST_F(RoutingRoutesTest, PeersAnswersForThisNodeInEitherPeerIdForm) {
  for (const char* id : {kPeer, kPeerCid}) {
    HttpResponse r = Ask(std::string("/routing/v1/peers/") + id);
    ASSERT_EQ(r.status, 200) << id;
    auto j = nlohmann::json::parse(r.body);
    ASSERT_EQ(j["Peers"].size(), 1u);
    EXPECT_EQ(j["Peers"][0]["ID"], kPeer);
  }
  EXPECT_EQ(Ask("/routing/v1/peers/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").status, 404);
  EXPECT_EQ(Ask("/routing/v1/peers/nope").status, 422);
}

TEST(RoutingRoutesNoDirectoryTest, WithoutADirectoryEveryEndpointIs501) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/routing/v1/providers/x";
  HttpResponse out = RoutingResponse(r, Split(r.path), nullptr);
  EXPECT_EQ(out.status, 501);
}

}  // namespace
}  // namespace ipfs_accelerate::server
