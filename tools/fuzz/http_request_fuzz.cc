// Fuzzes the HTTP request parser the server runs on every connection: any bytes must give a
// request or an error, and a request that parses must keep the promises the routes rely on
// (limits held, a path that starts with '/', lower-case header names) and read back the same when
// written out again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http_server.h"

namespace {

using ipfs_accelerate::StatusCode;
using ipfs_accelerate::server::HttpRequest;
using ipfs_accelerate::server::HttpServerOptions;
using ipfs_accelerate::server::ParseHttpRequest;

void Require(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

// Small limits, so that the fuzzer reaches them with short inputs.
HttpServerOptions FuzzOptions() {
  HttpServerOptions options;
  options.max_header_bytes = 2048;
  options.max_body_bytes = 1024;
  return options;
}

bool HasUpper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

// The request written out again in a canonical form: the original target, each header once
// (without the framing ones), and the body with its Content-Length.
std::string Serialize(const HttpRequest& request) {
  std::string out = request.method + " " + request.target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : request.headers) {
    if (name == "content-length" || name == "transfer-encoding") continue;
    out += name + ": " + value + "\r\n";
  }
  out += "content-length: " + std::to_string(request.body.size()) + "\r\n\r\n";
  return out + request.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  const HttpServerOptions options = FuzzOptions();
  auto parsed = ParseHttpRequest(input, options);
  if (!parsed.ok()) {
    StatusCode code = parsed.status().code();
    Require(code == StatusCode::kInvalidArgument || code == StatusCode::kResourceExhausted,
            "an error other than kInvalidArgument/kResourceExhausted", input);
    Require(!parsed.status().message().empty(), "an error without a message", input);
    return 0;
  }
  const HttpRequest& request = *parsed;
  Require(!request.method.empty(), "empty method", input);
  Require(!request.path.empty() && request.path[0] == '/', "path not starting with '/'", input);
  Require(request.path.find('\0') == std::string::npos, "NUL in the path", input);
  Require(request.body.size() <= options.max_body_bytes, "body over max_body_bytes", input);
  Require(request.client_gone && !request.client_gone->cancelled(), "client_gone missing", input);
  Require(request.id != 0, "request id 0", input);
  for (const auto& [name, value] : request.headers) {
    Require(!name.empty() && !HasUpper(name), "header name empty or not lower case", input);
    Require(value.find_first_of("\r\n") == std::string::npos, "CR or LF in a header value", input);
    Require(request.Header(name) == value || request.HasHeader(name), "Header() disagrees", input);
  }

  // What parses reads back the same once written out again (with a fresh Content-Length).
  std::string again = Serialize(request);
  if (again.size() - request.body.size() <= options.max_header_bytes) {
    auto reparsed = ParseHttpRequest(again, options);
    Require(reparsed.ok(), "the re-serialized request does not parse", input);
    Require(reparsed->method == request.method, "method changed", input);
    Require(reparsed->target == request.target, "target changed", input);
    Require(reparsed->path == request.path, "path changed", input);
    Require(reparsed->query == request.query, "query changed", input);
    Require(reparsed->body == request.body, "body changed", input);
    Require(reparsed->id != request.id, "request ids repeat", input);
  }
  return 0;
}
