#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/asio/ip/address.hpp>
#include <filesystem>

#include "core/file_util.h"

namespace ipfs_accelerate::server {
namespace {

constexpr const char* kKeyRemedy =
    "put one key per line, e.g. the output of `openssl rand -hex 32`";

std::array<uint8_t, 32> Digest(std::string_view bytes) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string_view Trim(std::string_view s) {
  const char* kSpace = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

HttpResponse Unauthorized(const std::string& message) {
  HttpResponse response = HttpResponse::Error(401, message);
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace

Result<ApiKeys> ApiKeys::Load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("API key file '" + path + "' does not exist (" + kKeyRemedy + ")");
  }
  auto text = ReadFile(path);
  if (!text.ok()) {
    return text.status().WithContext("cannot read the API key file '" + path + "'");
  }
  std::vector<std::string> keys;
  std::string_view rest = *text;
  for (int line = 1; !rest.empty(); ++line) {
    size_t end = rest.find('\n');
    std::string_view key = Trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (key.empty() || key[0] == '#') continue;
    if (key.size() < kMinApiKeyLength) {
      return Status::InvalidArgument(path + ":" + std::to_string(line) + ": the key has " +
                                     std::to_string(key.size()) + " characters, fewer than " +
                                     std::to_string(kMinApiKeyLength) + " (" + kKeyRemedy + ")");
    }
    keys.emplace_back(key);
  }
  if (keys.empty()) {
    return Status::InvalidArgument("API key file '" + path + "' holds no key (" + kKeyRemedy +
                                   "; lines starting with '#' are comments)");
  }
  return FromKeys(keys, path);
}

Result<ApiKeys> ApiKeys::FromKeys(const std::vector<std::string>& keys, const std::string& source) {
  if (keys.empty()) return Status::InvalidArgument(source + " holds no API key");
  ApiKeys out;
  for (const std::string& key : keys) {
    if (key.size() < kMinApiKeyLength) {
      return Status::InvalidArgument(source + ": an API key has " + std::to_string(key.size()) +
                                     " characters, fewer than " + std::to_string(kMinApiKeyLength) +
                                     " (" + kKeyRemedy + ")");
    }
    out.digests_.push_back(Digest(key));
  }
  return out;
}

bool ApiKeys::Matches(std::string_view presented) const {
  // Digests make every comparison the same length; no early exit over the keys.
  std::array<uint8_t, 32> digest = Digest(presented);
  int matched = 0;
  for (const auto& stored : digests_) {
    matched |= CRYPTO_memcmp(stored.data(), digest.data(), digest.size()) == 0;
  }
  return matched != 0;
}

std::optional<std::string> PresentedKey(const HttpRequest& request) {
  const std::string authorization_header = request.Header("authorization");
  std::string_view authorization = Trim(authorization_header);
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size() &&
      EqualsNoCase(authorization.substr(0, kBearer.size()), kBearer)) {
    std::string_view token = Trim(authorization.substr(kBearer.size()));
    if (!token.empty()) return std::string(token);
  }
  const std::string api_key_header = request.Header("x-api-key");
  std::string_view api_key = Trim(api_key_header);
  if (!api_key.empty()) return std::string(api_key);
  // A browser's WebSocket cannot send headers: its upgrade may carry the key as ?key=.
  if (IsWebSocketUpgrade(request)) {
    std::optional<std::string> param = request.QueryParam("key");
    if (param && !param->empty()) return param;
  }
  return std::nullopt;
}

Result<AuthPolicy> AuthPolicy::Load(const std::string& user_key_file,
                                    const std::string& admin_key_file) {
  std::optional<ApiKeys> user, admin;
  if (!user_key_file.empty()) {
    IA_ASSIGN_OR_RETURN(user, ApiKeys::Load(user_key_file));
  }
  if (!admin_key_file.empty()) {
    IA_ASSIGN_OR_RETURN(admin, ApiKeys::Load(admin_key_file));
  }
  return AuthPolicy(std::move(user), std::move(admin));
}

std::optional<HttpResponse> AuthPolicy::Authorize(const HttpRequest& request,
                                                  RouteClass route) const {
  if (route == RouteClass::kPublic) return std::nullopt;
  // The keys that open this route, and those that are valid but not enough (403).
  const ApiKeys* enough = nullptr;
  const ApiKeys* also = nullptr;  // admin keys also open user routes
  const ApiKeys* valid_elsewhere = nullptr;
  if (route == RouteClass::kUser) {
    if (!user_) return std::nullopt;
    enough = &*user_;
    if (admin_) also = &*admin_;
  } else {
    if (admin_) {
      enough = &*admin_;
      if (user_) valid_elsewhere = &*user_;
    } else if (user_) {
      enough = &*user_;
    } else {
      return std::nullopt;
    }
  }
  std::optional<std::string> key = PresentedKey(request);
  if (!key) {
    return Unauthorized(
        "this route needs an API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'");
  }
  // Every set is consulted whatever the outcome, so the time taken says nothing about the key.
  bool opens = enough->Matches(*key);
  bool opens_too = also && also->Matches(*key);
  bool elsewhere = valid_elsewhere && valid_elsewhere->Matches(*key);
  if (opens || opens_too) return std::nullopt;
  if (elsewhere) {
    return HttpResponse::Error(403,
                               "this route needs an admin API key; the key sent is a user key");
  }
  return Unauthorized("the API key sent is not valid for this server");
}

bool IsLoopbackHost(const std::string& host) {
  std::string bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  if (EqualsNoCase(bare, "localhost")) return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(bare, ec);
  if (ec) return false;
  if (address.is_loopback()) return true;
  return address.is_v6() && address.to_v6().is_v4_mapped() &&
         boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
             .is_loopback();
}

Status RequireAuthFor(const std::string& host, bool has_keys, bool insecure_no_auth) {
  if (has_keys || insecure_no_auth || IsLoopbackHost(host)) return Status::Ok();
  return Status::InvalidArgument("serve refuses to listen on " + (host.empty() ? "*" : host) +
                                 " without --api-key-file (or pass --insecure-no-auth to accept "
                                 "unauthenticated requests from the network)");
}

Result<GatewayAuth> ParseGatewayAuth(const std::string& text) {
  if (text == "auto") return GatewayAuth::kAuto;
  if (text == "open") return GatewayAuth::kOpen;
  if (text == "key") return GatewayAuth::kKey;
  return Status::InvalidArgument("serve.gateway_auth is '" + text +
                                 "'; it takes auto (open to clients on this machine, the API key "
                                 "from others), open or key");
}

RouteClass GatewayRouteClass(GatewayAuth auth, const HttpRequest& request) {
  switch (auth) {
    case GatewayAuth::kOpen:
      return RouteClass::kPublic;
    case GatewayAuth::kKey:
      return RouteClass::kUser;
    case GatewayAuth::kAuto:
      break;
  }
  // "127.0.0.1:53422", "[::1]:53422": the address before the port.
  const std::string& remote = request.remote;
  size_t colon = remote.rfind(':');
  return IsLoopbackHost(colon == std::string::npos ? remote : remote.substr(0, colon))
             ? RouteClass::kPublic
             : RouteClass::kUser;
}

}  // namespace ipfs_accelerate::server
