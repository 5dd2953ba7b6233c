// Delegated Routing V1 records: multiaddrs to gateway URLs, JSON and NDJSON answers (good, legacy,
// unknown and malformed records, limits), and the client against a router on 127.0.0.1.
#include "net/routing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "../test_util.h"
#include "net/multiaddr.h"
#include "server/http_server.h"

namespace ipfs_accelerate::net {
namespace {

using test_util::HasSubstr;

constexpr char kPeer[] = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
const store::Cid kCid =
    *store::Cid::Parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");

std::string Record(const std::string& addrs_json) {
  return std::string("{\"Schema\":\"peer\",\"ID\":\"") + kPeer + "\",\"Addrs\":" + addrs_json +
         ",\"Protocols\":[\"transport-ipfs-gateway-http\"]}";
}

TEST(MultiaddrTest, HttpAddressesBecomeGatewayUrls) {
  const std::pair<const char*, const char*> cases[] = {
      {"/ip4/127.0.0.1/tcp/8080/http", "http://127.0.0.1:8080"},
      {"/ip4/127.0.0.1/tcp/8080/http/", "http://127.0.0.1:8080"},
      {"/ip6/::1/tcp/443/tls/http", "https://[::1]:443"},
      {"/dns4/example.org/tcp/443/https", "https://example.org:443"},
      {"/dns/localhost/tcp/8443/tls/sni/localhost/http", "https://localhost:8443"},
      {"/ip4/10.0.0.1/tcp/80/http/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
       "http://10.0.0.1:80"},
  };
  for (const auto& [addr, url] : cases) {
    auto got = GatewayUrlFromMultiaddr(addr);
    ASSERT_TRUE(got.ok()) << addr << ": " << got.status().ToString();
    EXPECT_EQ(*got, url) << addr;
  }
  EXPECT_EQ(HttpMultiaddr("127.0.0.1", 8080, false), "/ip4/127.0.0.1/tcp/8080/http");
  EXPECT_EQ(HttpMultiaddr("::1", 8443, true), "/ip6/::1/tcp/8443/tls/http");
  EXPECT_EQ(HttpMultiaddr("localhost", 80, false), "/dns/localhost/tcp/80/http");
}

TEST(MultiaddrTest, AUrlsAddressRoundTripsThroughTheGatewayUrl) {
  for (const char* url :
       {"http://127.0.0.1:8001", "https://[::1]:8443", "http://node.example:80"}) {
    auto addr = HttpMultiaddrOfUrl(url);
    ASSERT_TRUE(addr.ok()) << url << addr.status().ToString();
    EXPECT_EQ(*GatewayUrlFromMultiaddr(*addr), url) << *addr;
  }
  EXPECT_EQ(*HttpMultiaddrOfUrl("https://key@node.example/x"),
            "/dns/node.example/tcp/443/tls/http");
  for (const char* bad : {"ftp://x:1", "http://", "http://x:0", "http://x:70000", "http://[::1"}) {
    EXPECT_EQ(HttpMultiaddrOfUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MultiaddrTest, OtherTransportsAreUnsupportedAndGarbageIsAnError) {
  for (const char* other : {"/ip4/1.2.3.4/tcp/4001", "/ip4/1.2.3.4/udp/4001/quic-v1",
                            "/ip4/1.2.3.4/tcp/4001/ws", "/unix/tmp/sock", "/p2p/x"}) {
    auto r = GatewayUrlFromMultiaddr(other);
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << other << r.status().ToString();
  }
  for (const char* garbage :
       {"", "garbage", "/ip4/999.1.1.1/tcp/80/http", "/ip4/1.2.3.4/tcp/x/http",
        "/ip4/1.2.3.4/tcp/99999/http", "/ip4/1.2.3.4/tcp/0/http", "/ip4", "/ip4//tcp/80/http",
        "/dns/a b/tcp/80/http", "/ip6/1.2.3.4/tcp/1/http"}) {
    auto r = GatewayUrlFromMultiaddr(garbage);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << garbage;
    EXPECT_TRUE(HasSubstr(r.status().message(), "malformed multiaddr")) << garbage;
  }
}

TEST(RoutingRecordsTest, JsonAndNdjsonAnswersParseToTheSameRecords) {
  std::string one = Record("[\"/ip4/127.0.0.1/tcp/8080/http\"]");
  auto json = ParseProviders("{\"Providers\":[" + one + "]}", "application/json; charset=utf-8");
  auto ndjson = ParseProviders(one + "\n", "application/x-ndjson");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  ASSERT_TRUE(ndjson.ok()) << ndjson.status().ToString();
  for (const ProvidersAnswer* a : {&*json, &*ndjson}) {
    ASSERT_EQ(a->records.size(), 1u);
    EXPECT_TRUE(a->problems.empty());
    EXPECT_EQ(a->records[0].id, kPeer);
    EXPECT_EQ(GatewayUrls(a->records[0], nullptr),
              std::vector<std::string>{"http://127.0.0.1:8080"});
    EXPECT_EQ(a->records[0].protocols, std::vector<std::string>{kGatewayProtocol});
  }
  // Encoding and parsing again gives the same records.
  auto back = ParseProviders(EncodeProvidersJson(json->records), kJsonType);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->records[0].ToJson(), json->records[0].ToJson());
  EXPECT_EQ(EncodeProvidersNdjson(json->records), json->records[0].ToJson().dump() + "\n");
  // null and empty lists are answers with no records.
  EXPECT_TRUE(ParseProviders("{\"Providers\":null}", kJsonType)->records.empty());
  EXPECT_TRUE(ParseProviders("", kNdjsonType)->records.empty());
}

TEST(RoutingRecordsTest, UnknownSchemasAreSkippedAndLegacyOnesReadAsPeer) {
  std::string body = std::string("{\"Schema\":\"future\",\"X\":1}\n") +
                     "{\"Schema\":\"bitswap\",\"Protocol\":\"transport-bitswap\",\"ID\":\"" +
                     kPeer + "\",\"Addrs\":[\"/ip4/1.2.3.4/tcp/4001\"],\"extra\":{\"a\":1}}\n";
  auto a = ParseProviders(body, kNdjsonType);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->unknown_schema, 1u);
  ASSERT_EQ(a->records.size(), 1u);
  EXPECT_EQ(a->records[0].schema, "peer");
  EXPECT_EQ(a->records[0].protocols, std::vector<std::string>{"transport-bitswap"});
  EXPECT_TRUE(GatewayUrls(a->records[0], nullptr).empty());  // not an HTTP address: skipped
}

TEST(RoutingRecordsTest, MalformedRecordsAreReportedAndTheOthersKept) {
  std::string body = std::string("{\"Providers\":[") + "{\"Schema\":\"peer\",\"ID\":\"nope\"}," +
                     "{\"Schema\":\"peer\",\"ID\":\"" + kPeer + "\",\"Addrs\":[1]}," + "[1,2]," +
                     "{\"ID\":\"" + kPeer + "\"}," +
                     Record("[\"garbage\",\"/ip4/127.0.0.1/tcp/1/http\"]") + "]}";
  auto a = ParseProviders(body, kJsonType);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->records.size(), 1u);
  ASSERT_EQ(a->problems.size(), 4u);
  EXPECT_TRUE(HasSubstr(a->problems[0], "record 1: invalid PeerID \"nope\""));
  EXPECT_TRUE(HasSubstr(a->problems[1], "Addrs holds a non-string"));
  EXPECT_TRUE(HasSubstr(a->problems[2], "not a JSON object"));
  EXPECT_TRUE(HasSubstr(a->problems[3], "no Schema"));
  std::vector<std::string> problems;
  EXPECT_EQ(GatewayUrls(a->records[0], &problems), std::vector<std::string>{"http://127.0.0.1:1"});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(HasSubstr(problems[0], "malformed multiaddr \"garbage\""));

  auto lines = ParseProviders("not json\n" + Record("[]") + "\n", kNdjsonType);
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(lines->records.size(), 1u);
  ASSERT_EQ(lines->problems.size(), 1u);
  EXPECT_TRUE(HasSubstr(lines->problems[0], "record 1: line"));
}

TEST(RoutingRecordsTest, AnswersThatAreNoProvidersListAreErrors) {
  for (const char* body : {"", "<html>", "[]", "{\"Foo\":[]}", "{\"Providers\":3}",
                           "{\"Providers\":[", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"}) {
    auto a = ParseProviders(body, kJsonType);
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument) << body;
  }
  auto html = ParseProviders("{}", "text/html");
  EXPECT_TRUE(HasSubstr(html.status().message(), "text/html"));
  EXPECT_EQ(ParseProviders(std::string(kMaxRoutingBodyBytes + 1, ' '), kJsonType).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(RoutingRecordsTest, RecordsAndAddressesAreBounded) {
  std::string addrs = "[";
  for (size_t i = 0; i < kMaxRecordAddrs + 10; ++i) {
    addrs +=
        std::string(i ? "," : "") + "\"/ip4/127.0.0.1/tcp/" + std::to_string(i + 1) + "/http\"";
  }
  addrs += "]";
  std::string body;
  for (size_t i = 0; i < kMaxProviderRecords + 5; ++i) body += Record(addrs) + "\n";
  auto a = ParseProviders(body, kNdjsonType);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->records.size(), kMaxProviderRecords);
  EXPECT_EQ(a->records[0].addrs.size(), kMaxRecordAddrs);
  ASSERT_FALSE(a->problems.empty());
  EXPECT_TRUE(HasSubstr(a->problems.back(), "left out"));
}

// A router on 127.0.0.1 answering what the test sets.
class FakeRouter {
 public:
  FakeRouter() {
    server::HttpServerOptions options;
    options.port = 0;
    auto started = server::HttpServer::Start(
        options, [this](server::HttpRequest r, server::Responder respond) {
          std::lock_guard lock(mu_);
          last_ = r;
          respond(answer_);
        });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) server_ = std::move(started).value();
  }
  ~FakeRouter() {
    if (server_) server_->Stop(0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/"; }
  void Answer(int status, const std::string& type, const std::string& body) {
    std::lock_guard lock(mu_);
    answer_ = server::HttpResponse{};
    answer_.status = status;
    answer_.content_type = type;
    answer_.body = body;
  }
  server::HttpRequest last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  server::HttpResponse answer_;
  server::HttpRequest last_;
  std::unique_ptr<server::HttpServer> server_;
};

TEST(FindProvidersTest, AsksTheSpecsPathAndReadsBothEncodings) {
  FakeRouter router;
  router.Answer(200, kNdjsonType, Record("[\"/ip4/127.0.0.1/tcp/9/http\"]") + "\n");
  auto a = FindProviders(router.url(), kCid, std::chrono::seconds(10));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->records.size(), 1u);
  EXPECT_EQ(router.last().path, "/routing/v1/providers/" + kCid.ToString());
  EXPECT_TRUE(HasSubstr(router.last().Header("accept"), "application/x-ndjson"));
  EXPECT_TRUE(HasSubstr(router.last().Header("accept"), "application/json"));
  router.Answer(200, kJsonType, "{\"Providers\":[" + Record("[]") + "]}");
  EXPECT_EQ(FindProviders(router.url(), kCid, std::chrono::seconds(10))->records.size(), 1u);
  // A CIDv0 is asked for as CIDv1.
  auto v0 = *store::Cid::Parse("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
  ASSERT_TRUE(FindProviders(router.url(), v0, std::chrono::seconds(10)).ok());
  EXPECT_EQ(router.last().path, "/routing/v1/providers/" + v0.ToVersion(1)->ToString());
}

TEST(FindProvidersTest, A404IsNoProvidersAndOtherFailuresNameTheRouter) {
  FakeRouter router;
  router.Answer(404, kJsonType, "{\"error\":\"none\"}");
  auto none = FindProviders(router.url(), kCid, std::chrono::seconds(10));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->records.empty());

  router.Answer(422, "text/html", "Unprocessable Entity");
  auto refused = FindProviders(router.url(), kCid, std::chrono::seconds(10));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(refused.status().message(), "422"));

  router.Answer(500, kJsonType, "{}");
  auto broken = FindProviders(router.url(), kCid, std::chrono::seconds(10));
  EXPECT_TRUE(HasSubstr(broken.status().message(), "HTTP 500"));

  router.Answer(200, kJsonType, "{\"Providers\": [{\"Sch");
  auto garbage = FindProviders(router.url(), kCid, std::chrono::seconds(10));
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(garbage.status().message(), "router http://127.0.0.1:"));

  auto unreachable = FindProviders("http://127.0.0.1:1", kCid, std::chrono::seconds(5));
  EXPECT_FALSE(unreachable.ok());
  EXPECT_TRUE(HasSubstr(unreachable.status().message(), "127.0.0.1:1"));
}

}  // namespace
}  // namespace ipfs_accelerate::net
