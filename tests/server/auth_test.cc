#include "server/auth.h"

#include <gtest/gtest.h>

#include "../test_util.h"
#include "core/file_util.h"

namespace ipfs_accelerate::server {
namespace {

using test_util::HasSubstr;
using test_util::TempDir;

const std::string kUserKey = "user-key-0123456789abcdef";
const std::string kAdminKey = "admin-key-0123456789abcdef";

HttpRequest WithHeader(const std::string& name, const std::string& value) {
  HttpRequest request;
  request.headers.emplace_back(name, value);
  return request;
}

ApiKeys Keys(const std::string& key) {
  auto keys = ApiKeys::FromKeys({key}, "test");
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return *keys;
}

TEST(AuthTest, KeyFileSkipsCommentsAndBlankLines) {
  TempDir dir;
  std::string path = dir / "keys";
  ASSERT_TRUE(WriteFileAtomic(path, "# our keys\n\n  " + kUserKey + "  \r\n" + kAdminKey).ok());
  auto keys = ApiKeys::Load(path);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_TRUE(keys->Matches(kUserKey));
  EXPECT_TRUE(keys->Matches(kAdminKey));
  EXPECT_FALSE(keys->Matches("# our keys"));
  EXPECT_FALSE(keys->Matches(kUserKey + "x"));
  EXPECT_FALSE(keys->Matches(kUserKey.substr(1)));
  EXPECT_FALSE(keys->Matches(""));
}

TEST(AuthTest, KeyFileErrorsNameTheFileAndTheRemedy) {
  TempDir dir;
  auto missing = ApiKeys::Load(dir / "absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(HasSubstr(missing.status().message(), dir / "absent"));
  EXPECT_TRUE(HasSubstr(missing.status().message(), "openssl rand"));

  ASSERT_TRUE(WriteFileAtomic(dir / "empty", std::string("# nothing yet\n\n")).ok());
  auto empty = ApiKeys::Load(dir / "empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(HasSubstr(empty.status().message(), "holds no key"));

  ASSERT_TRUE(WriteFileAtomic(dir / "short", kUserKey + "\nshort\n").ok());
  auto short_key = ApiKeys::Load(dir / "short");
  ASSERT_FALSE(short_key.ok());
  EXPECT_TRUE(HasSubstr(short_key.status().message(), dir / "short" + ":2:"));
  EXPECT_TRUE(HasSubstr(short_key.status().message(), "fewer than 16"));
}

TEST(AuthTest, KeyIsReadFromBearerOrXApiKey) {
  EXPECT_EQ(PresentedKey(WithHeader("authorization", "Bearer " + kUserKey)), kUserKey);
  EXPECT_EQ(PresentedKey(WithHeader("authorization", "bearer  " + kUserKey + " ")), kUserKey);
  EXPECT_EQ(PresentedKey(WithHeader("x-api-key", kUserKey)), kUserKey);
  EXPECT_FALSE(PresentedKey(WithHeader("authorization", "Basic dXNlcjpwYXNz")));
  EXPECT_FALSE(PresentedKey(WithHeader("authorization", "Bearer ")));
  EXPECT_FALSE(PresentedKey(HttpRequest{}));
}

TEST(AuthTest, NoKeysLeaveEveryRouteOpen) {
  AuthPolicy open;
  EXPECT_FALSE(open.has_keys());
  for (RouteClass route : {RouteClass::kPublic, RouteClass::kUser, RouteClass::kAdmin}) {
    EXPECT_FALSE(open.Authorize(HttpRequest{}, route));
  }
}

TEST(AuthTest, UserKeysGuardUserAndAdminRoutesWhenNoAdminKeyIsSet) {
  AuthPolicy policy(Keys(kUserKey), std::nullopt);
  EXPECT_TRUE(policy.has_keys());
  EXPECT_FALSE(policy.Authorize(HttpRequest{}, RouteClass::kPublic));
  auto missing = policy.Authorize(HttpRequest{}, RouteClass::kUser);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  ASSERT_EQ(missing->headers.size(), 1u);
  EXPECT_EQ(missing->headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(missing->headers[0].second, "Bearer");
  EXPECT_TRUE(HasSubstr(missing->body, "Authorization: Bearer"));
  auto wrong = policy.Authorize(WithHeader("x-api-key", kAdminKey), RouteClass::kUser);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_FALSE(policy.Authorize(WithHeader("x-api-key", kUserKey), RouteClass::kUser));
  EXPECT_FALSE(
      policy.Authorize(WithHeader("authorization", "Bearer " + kUserKey), RouteClass::kAdmin));
}

TEST(AuthTest, AdminRoutesRefuseUserKeysWith403) {
  AuthPolicy policy(Keys(kUserKey), Keys(kAdminKey));
  auto user_on_admin = policy.Authorize(WithHeader("x-api-key", kUserKey), RouteClass::kAdmin);
  ASSERT_TRUE(user_on_admin);
  EXPECT_EQ(user_on_admin->status, 403);
  EXPECT_FALSE(policy.Authorize(WithHeader("x-api-key", kAdminKey), RouteClass::kAdmin));
  EXPECT_FALSE(policy.Authorize(WithHeader("x-api-key", kAdminKey), RouteClass::kUser));
  auto none = policy.Authorize(HttpRequest{}, RouteClass::kAdmin);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
}

TEST(AuthTest, AdminKeyAloneLeavesUserRoutesOpen) {
  AuthPolicy policy(std::nullopt, Keys(kAdminKey));
  EXPECT_FALSE(policy.Authorize(HttpRequest{}, RouteClass::kUser));
  ASSERT_TRUE(policy.Authorize(HttpRequest{}, RouteClass::kAdmin));
  EXPECT_FALSE(policy.Authorize(WithHeader("x-api-key", kAdminKey), RouteClass::kAdmin));
}

TEST(AuthTest, PolicyLoadsBothFiles) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "user", kUserKey + "\n").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "admin", kAdminKey + "\n").ok());
  auto policy = AuthPolicy::Load(dir / "user", dir / "admin");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->Authorize(WithHeader("x-api-key", kUserKey), RouteClass::kAdmin)->status, 403);
  EXPECT_FALSE(AuthPolicy::Load(dir / "user", dir / "nope").ok());
  auto none = AuthPolicy::Load("", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_keys());
}

TEST(AuthTest, ListeningBeyondLoopbackNeedsKeysOrInsecureNoAuth) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(RequireAuthFor(host, false, false).ok()) << host;
  }
  Status open = RequireAuthFor("0.0.0.0", false, false);
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.message(),
            "serve refuses to listen on 0.0.0.0 without --api-key-file (or pass "
            "--insecure-no-auth to accept unauthenticated requests from the network)");
  EXPECT_FALSE(RequireAuthFor("::", false, false).ok());
  EXPECT_FALSE(RequireAuthFor("192.168.1.10", false, false).ok());
  EXPECT_TRUE(RequireAuthFor("0.0.0.0", true, false).ok());
  EXPECT_TRUE(RequireAuthFor("0.0.0.0", false, true).ok());
}

TEST(AuthTest, TheGatewayIsOpenToThisMachineAndKeyedForOthersByDefault) {
  auto from = [](const char* remote) {
    HttpRequest r;
    r.remote = remote;
    return r;
  };
  for (const char* local :
       {"127.0.0.1:4000", "127.9.9.9:1", "[::1]:4000", "[::ffff:127.0.0.1]:2"}) {
    EXPECT_EQ(GatewayRouteClass(GatewayAuth::kAuto, from(local)), RouteClass::kPublic) << local;
    EXPECT_EQ(GatewayRouteClass(GatewayAuth::kKey, from(local)), RouteClass::kUser) << local;
  }
  for (const char* other : {"10.0.0.2:4000", "[2001:db8::1]:80", "", "garbage"}) {
    EXPECT_EQ(GatewayRouteClass(GatewayAuth::kAuto, from(other)), RouteClass::kUser) << other;
    EXPECT_EQ(GatewayRouteClass(GatewayAuth::kOpen, from(other)), RouteClass::kPublic) << other;
  }
  EXPECT_EQ(*ParseGatewayAuth("auto"), GatewayAuth::kAuto);
  EXPECT_EQ(*ParseGatewayAuth("key"), GatewayAuth::kKey);
  auto bad = ParseGatewayAuth("sometimes");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasSubstr(bad.status().message(), "auto"));
}

}  // namespace
}  // namespace ipfs_accelerate::server
