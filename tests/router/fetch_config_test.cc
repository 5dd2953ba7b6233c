// The ipfs.* configuration keys as a fetch reads them: one FetchRequest, base URLs for gateways.
#include "router/fetch_config.h"

#include <gtest/gtest.h>

namespace ipfs_accelerate::router {
namespace {

Config Load(std::vector<std::string> overrides) {
  auto c = Config::Load({.overrides = std::move(overrides)});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : Config::Defaults();
}

TEST(FetchConfigTest, GatewayUrlsLoseTheirIpfsPathAndTrailingSlashes) {
  EXPECT_EQ(GatewayBaseUrl("http://localhost:8080/ipfs/"), "http://localhost:8080");
  EXPECT_EQ(GatewayBaseUrl("http://localhost:8080/ipfs"), "http://localhost:8080");
  EXPECT_EQ(GatewayBaseUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(GatewayBaseUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(GatewayBaseUrl("https://gw.example/prefix/ipfs//"), "https://gw.example/prefix");
  // A host named ipfs is a host, and "/ipfs" only counts as a whole path segment.
  EXPECT_EQ(GatewayBaseUrl("http://ipfs"), "http://ipfs");
  EXPECT_EQ(GatewayBaseUrl("http://ipfs/"), "http://ipfs");
  EXPECT_EQ(GatewayBaseUrl("http://h/myipfs"), "http://h/myipfs");
  EXPECT_EQ(GatewayBaseUrl(""), "");
}

TEST(FetchConfigTest, TheSeedDefaultsAskTheLocalNodeThenTheLocalGateway) {
  FetchRequest r = FetchRequestFromConfig(Config::Defaults());
  EXPECT_EQ(r.local_node, "http://localhost:5001");
  EXPECT_EQ(r.gateways, std::vector<std::string>{"http://localhost:8080"});
  EXPECT_TRUE(r.routers.empty());
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(r.retries, 3);
  EXPECT_TRUE(r.pin);
}

TEST(FetchConfigTest, EveryKeyReachesTheRequest) {
  FetchRequest r =
      FetchRequestFromConfig(Load({"ipfs.gateway=http://a:1/ipfs/, http://b:2/",
                                   "ipfs.local_node=", "ipfs.routers=http://r:3,http://r:4",
                                   "ipfs.timeout=0.25", "ipfs.retry_count=0"}));
  EXPECT_EQ(r.local_node, "");
  EXPECT_EQ(r.gateways, (std::vector<std::string>{"http://a:1", "http://b:2"}));
  EXPECT_EQ(r.routers, (std::vector<std::string>{"http://r:3", "http://r:4"}));
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(r.retries, 0);
  // A tiny or a huge timeout stays a usable number of milliseconds.
  EXPECT_EQ(FetchRequestFromConfig(Load({"ipfs.timeout=0.0000001"})).timeout.count(), 1);
  EXPECT_GT(FetchRequestFromConfig(Load({"ipfs.timeout=1e300"})).timeout.count(), 0);
}

TEST(FetchConfigTest, OfflineFromTheFlagOrTheKey) {
  EXPECT_FALSE(MissPolicyFromConfig(Config::Defaults(), false).offline);
  EXPECT_TRUE(MissPolicyFromConfig(Config::Defaults(), true).offline);
  EXPECT_TRUE(MissPolicyFromConfig(Load({"ipfs.offline=1"}), false).offline);
  MissPolicy p = MissPolicyFromConfig(Load({"ipfs.gateway=http://g:1"}), false);
  EXPECT_EQ(p.request.gateways, std::vector<std::string>{"http://g:1"});
}

}  // namespace
}  // namespace ipfs_accelerate::router
