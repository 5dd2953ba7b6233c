// The HTTP/1.1 front door (Boost.Beast over Asio): keep-alive, optional TLS, limits on headers,
// bodies, slow clients and connections, and a graceful stop. It knows nothing of the routes: each
// complete request goes to one Handler, which answers through its Responder, at once or later
// from any thread (an inference finishes on a worker).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"

namespace ipfs_accelerate::server {

struct HttpRequest {
  uint64_t id = 0;     // unique within the process, for logs
  std::string method;  // "GET", "POST", …
  std::string target;  // as sent: "/v2/models/m/infer?x=1"
  std::string path;    // the target before '?', percent-decoded
  std::string query;   // after '?', raw
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  std::string remote;  // "127.0.0.1:53422"
  bool tls = false;
  // Cancelled when the client closes the connection before its answer is sent.
  std::shared_ptr<CancelToken> client_gone;

  // The first header named `name` (lower case), or "" when absent.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // added as given
  std::string body;

  // {"error": message} with `status`: the shape every error of ours has (KServe's).
  static HttpResponse Error(int status, const std::string& message);
};

// Call exactly once. Safe from any thread, also after the connection is gone.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest request, Responder respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;  // 0: a free port (see HttpServer::port)
  int io_threads = 1;    // threads running Asio; handlers that block belong on other threads
  uint64_t max_body_bytes = 64ull << 20;   // larger: 413 with a JSON error
  uint64_t max_header_bytes = 16 << 10;    // larger: 431
  double header_timeout_s = 10;            // a request's headers must arrive within this
  double body_timeout_s = 60;              // and its body within this after them
  double idle_timeout_s = 75;              // a kept-alive connection with no request is closed
  int max_connections = 512;               // more are accepted and closed at once
  std::string tls_cert_file, tls_key_file;  // both set: HTTPS only
};

class HttpServer {
 public:
  // Binds and starts serving; kInvalidArgument for a bad host or TLS files, kBusy when
  // the address is in use (naming it).
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Handler handler);
  // Stops at once (Stop(0)) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port (the chosen one for port 0)
  // Stops accepting, lets requests in flight finish for up to `grace_s` seconds, then closes
  // every connection and joins the io threads. Idempotent.
  void Stop(double grace_s);
  int open_connections() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses one complete HTTP/1.1 request from `bytes` with the same parser and limits the server
// uses (for the fuzz target and tests); kInvalidArgument naming what is wrong otherwise.
Result<HttpRequest> ParseHttpRequest(const std::string& bytes, const HttpServerOptions& options);

}  // namespace ipfs_accelerate::server
