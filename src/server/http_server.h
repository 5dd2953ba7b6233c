// The HTTP/1.1 front door (Boost.Beast over Asio): keep-alive, optional TLS, limits on headers,
// bodies, slow clients and connections, and a graceful stop. It knows nothing of the routes: each
// complete request goes to one Handler, which answers through its Responder, at once or later
// from any thread (an inference finishes on a worker).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  // Cancelled when the client closes the connection (end of stream or reset, a half-close
  // included) before its answer is sent, or when Stop closes the connection.
  std::shared_ptr<CancelToken> client_gone;

  // The first header named `name` (lower case), or "" when absent.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
  // The first query parameter named `name`, percent-decoded ("" for a bare `name`; the raw text
  // when its escapes are bad: callers check values anyway); nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// A body made piece by piece while it is sent (a CAR of a large DAG), so no answer has to fit in
// memory. The server asks for the next piece once the previous one is written, on its io thread:
// a piece should be quick to make (a few blocks read from disk).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Appends the next piece to `*out`; false once the body is complete. An error ends the answer
  // early: the connection closes, and the client sees an incomplete body.
  virtual Result<bool> Next(std::string* out) = 0;
  // A live stream (server-sent events: pieces made on another thread as they come) is written
  // piece by piece as soon as each is there. Its Next never blocks: appending nothing (and
  // answering true) means "not yet", and the server then asks WhenReady to call `wake` (once,
  // from any thread) when there is more, instead of holding an I/O thread.
  virtual bool live() const { return false; }
  virtual void WhenReady(std::function<void()> wake) { wake(); }
};

// The far side of an accepted WebSocket, as its handler sees it. Thread-safe.
class WebSocketChannel {
 public:
  virtual ~WebSocketChannel() = default;
  // Queues one message (sent in order); false once the socket is closing or closed.
  virtual bool Send(std::string message, bool binary) = 0;
  // Closes the socket with `code` (RFC 6455: 1000 normal, 1008 policy violation, 1011 server
  // error) and `reason` (cut to the 123 bytes a close frame holds). OnClose follows.
  virtual void Close(uint16_t code, std::string reason) = 0;
  virtual const std::string& remote() const = 0;  // "127.0.0.1:53422"
};

// What runs an accepted WebSocket. Called on the connection's I/O thread, one call at a time and
// in order: OnOpen, OnMessage for each message, then OnClose once. A call must not block.
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  virtual void OnOpen(std::shared_ptr<WebSocketChannel> channel) = 0;
  virtual void OnMessage(std::string message, bool binary) = 0;
  // The socket closed: `why` is the peer's close reason, the error, or the server stopping.
  virtual void OnClose(const std::string& why) = 0;
};

// Whether `request` asks to become a WebSocket (GET with Upgrade: websocket, version 13).
bool IsWebSocketUpgrade(const HttpRequest& request);

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // added as given
  std::string body;
  // When set, the body comes from here instead of `body`, with chunked transfer encoding (to an
  // HTTP/1.0 client: until the connection closes). Answers to HEAD never send a body: a whole
  // `body` gives its Content-Length, a stream none.
  std::shared_ptr<BodyStream> stream;
  // Called once the answer has been written, or when it cannot be (the connection is gone), on
  // whichever thread finds out: work that must not delay the client, such as the access log.
  std::function<void()> after_sent;
  // Set in the answer to a WebSocket upgrade (IsWebSocketUpgrade): the connection completes the
  // handshake (status, body and headers above are then not sent) and is this handler's from then
  // on. Messages over websocket_max_message close it (1009); a peer silent for
  // websocket_idle_timeout_s (pinged at half of it) is closed.
  std::shared_ptr<WebSocketHandler> websocket;
  uint64_t websocket_max_message = 64ull << 20;
  double websocket_idle_timeout_s = 30;

  // {"error": message} with `status`: the shape every error of ours has (KServe's).
  static HttpResponse Error(int status, const std::string& message);
};

// Call exactly once (later calls are ignored). Safe from any thread, also after the connection,
// or the server, is gone: then it does nothing.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest request, Responder respond)>;

// What each limit does on the wire:
//  - max_body_bytes: a Content-Length above it is answered 413 before any of the body is read; a
//    chunked body that grows past it, 413 when it does. Either way the connection then closes.
//  - max_header_bytes: headers (request line included) past it: 431, then close.
//  - header_timeout_s: from the connection's start (its first request) or from the first byte of a
//    later request, until the headers are complete; past it the request is answered 408 with a
//    JSON error and the connection closes (over TLS it closes unanswered).
//  - body_timeout_s: for the body once the headers are in (past it: 408 as above), and again for
//    writing each answer.
//  - idle_timeout_s: a kept-alive connection with no byte of a next request is closed silently.
//  - max_connections: a connection beyond it gets a best-effort 503 (plain HTTP) and is closed.
//  A malformed request is answered 400 and the connection closes.
struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;  // 0: a free port (see HttpServer::port)
  int io_threads = 1;    // threads running Asio; handlers that block belong on other threads
  uint64_t max_body_bytes = 64ull << 20;    // larger: 413 with a JSON error
  uint64_t max_header_bytes = 16 << 10;     // larger: 431
  double header_timeout_s = 10;             // a request's headers must arrive within this
  double body_timeout_s = 60;               // and its body within this after them (and each answer)
  double idle_timeout_s = 75;               // a kept-alive connection with no request is closed
  int max_connections = 512;                // more are accepted, answered 503 and closed
  std::string tls_cert_file, tls_key_file;  // both set: HTTPS only
};

class HttpServer {
 public:
  // Binds and starts serving; kInvalidArgument for a bad host or TLS files (naming the file),
  // kBusy when the address is in use (naming it), kIoError when binding fails otherwise.
  // The host is an IPv4 or IPv6 literal ("::1" or "[::1]") or "localhost".
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Handler handler);
  // Stops at once (Stop(0)) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port (the chosen one for port 0)
  // Stops accepting (new connections are refused), closes idle connections, lets requests in
  // flight finish for up to `grace_s` seconds (their answers carry Connection: close), then closes
  // every connection and joins the io threads. Idempotent and thread-safe; never from a handler
  // (an io thread cannot join itself).
  void Stop(double grace_s);
  int open_connections() const;  // accepted and not yet closed

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses one complete HTTP/1.1 request from `bytes` with the same parser and limits the server
// uses (for the fuzz target and tests); bytes after the request are ignored. kResourceExhausted
// for a limit (what the server answers 413 or 431), kInvalidArgument naming what is wrong for
// anything else (400). The request's remote is "".
Result<HttpRequest> ParseHttpRequest(const std::string& bytes, const HttpServerOptions& options);

}  // namespace ipfs_accelerate::server
