// API keys for the HTTP server: who may call which class of route.
//
// The policy:
//   - A key is presented as `Authorization: Bearer <key>` (OpenAI's and TEI's convention) or as
//     `x-api-key: <key>`.
//   - kPublic routes (liveness, /v2/health/live) are always open.
//   - kUser routes (inference, metadata, readiness) need a user or an admin key when a user key
//     file is configured, and are open when none is.
//   - kAdmin routes (repository load/unload/index, /metrics) need an admin key when an admin key
//     file is configured; a valid user key there is answered 403. Without an admin key file they
//     take the user keys, and are open when neither file is configured.
//   - A key that is required but missing or unknown is answered 401 with `WWW-Authenticate:
//     Bearer`.
// Keys are compared in constant time over SHA-256 digests, so neither a key's bytes nor its length
// leak through timing; every stored key is compared on every request.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "server/http_server.h"

namespace ipfs_accelerate::server {

enum class RouteClass { kPublic, kUser, kAdmin };

// The shortest key a key file may hold: shorter ones are guessable.
inline constexpr size_t kMinApiKeyLength = 16;

// A set of keys, kept only as digests. Immutable once loaded; safe to share between threads.
class ApiKeys {
 public:
  // Reads one key per line from `path`; blank lines and lines starting with '#' are ignored, and
  // whitespace around a key is dropped. Errors (kInvalidArgument/kNotFound) name the file and the
  // remedy: a missing or unreadable file, a file with no key, a key shorter than 16 characters.
  static Result<ApiKeys> Load(const std::string& path);
  // The same checks on keys given directly; `source` names them in errors.
  static Result<ApiKeys> FromKeys(const std::vector<std::string>& keys, const std::string& source);

  // True when `presented` is one of the keys; takes the same time whichever key (if any) matches.
  bool Matches(std::string_view presented) const;
  size_t size() const { return digests_.size(); }

 private:
  std::vector<std::array<uint8_t, 32>> digests_;
};

// The key a request presents (Bearer token or x-api-key; for a WebSocket upgrade also ?key=, since
// browsers cannot set headers on one), or nothing.
std::optional<std::string> PresentedKey(const HttpRequest& request);

// The policy above, over an optional user key set and an optional admin key set.
class AuthPolicy {
 public:
  AuthPolicy() = default;  // no keys: everything open
  AuthPolicy(std::optional<ApiKeys> user, std::optional<ApiKeys> admin)
      : user_(std::move(user)), admin_(std::move(admin)) {}
  // Loads the key files; an empty path means "not configured".
  static Result<AuthPolicy> Load(const std::string& user_key_file,
                                 const std::string& admin_key_file);

  // Nothing when `request` may use a route of class `route`; else the 401 or 403 to send.
  std::optional<HttpResponse> Authorize(const HttpRequest& request, RouteClass route) const;
  // True when any key is configured (some route needs one).
  bool has_keys() const { return user_.has_value() || admin_.has_value(); }

 private:
  std::optional<ApiKeys> user_, admin_;
};

// Whether `host` ("127.0.0.1", "[::1]", "localhost", "::ffff:127.0.0.1") is this machine's
// loopback.
bool IsLoopbackHost(const std::string& host);

// Who may read the trustless gateway and the routing API (serve.gateway_auth): kAuto (the
// default) opens them to clients on loopback and wants the user key from anyone else (when keys
// are configured), so nodes on one machine share content freely while a server on the network
// does not serve its repository to strangers; kOpen never wants a key, kKey always does.
enum class GatewayAuth { kAuto, kOpen, kKey };
Result<GatewayAuth> ParseGatewayAuth(const std::string& text);
// The route class of a gateway or routing request under `auth`: kPublic or kUser.
RouteClass GatewayRouteClass(GatewayAuth auth, const HttpRequest& request);

// Binding `host` without keys exposes the models to the network; that is refused unless it is a
// loopback address (127.0.0.0/8, ::1, localhost) or `insecure_no_auth` says it is meant.
// kInvalidArgument naming the host and both remedies otherwise.
Status RequireAuthFor(const std::string& host, bool has_keys, bool insecure_no_auth);

}  // namespace ipfs_accelerate::server
