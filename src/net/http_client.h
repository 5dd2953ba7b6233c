// HTTP requests through libcurl, for the remote block sources (and later peers and routers). Each
// thread keeps one libcurl handle, so calls to the same host reuse its connection (HTTP/1.1
// keep-alive, HTTP/2 where the server offers it).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::net {

struct HttpCall {
  std::string method = "GET";  // GET, HEAD or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // what a POST sends (empty for Kubo's RPC)
  // PEM certificates that https servers are verified against ("": the system's); for peers with
  // a private CA or a self-signed certificate.
  std::string ca_file;
  // A body longer than this is refused as it arrives (kResourceExhausted), never held whole.
  size_t max_body_bytes = size_t{64} << 20;
  std::chrono::milliseconds timeout{30000};  // the whole exchange, connecting included
};

struct HttpReply {
  int status = 0;
  std::string content_type;                    // as sent, parameters included; empty when absent
  std::map<std::string, std::string> headers;  // by lower-case name (the last of repeated ones)
  std::string body;
};

// Sends `call` and reads the whole reply. Errors: kUnavailable when the server cannot be reached or
// the connection breaks (truncated bodies included), kDeadlineExceeded when call.timeout runs
// out, kResourceExhausted for a body over call.max_body_bytes, kInvalidArgument for a URL that is
// not http(s). Any HTTP status is a reply, not an error: the caller decides what it means.
Result<HttpReply> HttpFetch(const HttpCall& call);

// The body of a 2xx reply, piece by piece as it arrives; `head` holds the status and Content-Type
// (its body is empty). An error returned stops the transfer.
using HttpBodyFn = std::function<Status(const HttpReply& head, std::span<const uint8_t> bytes)>;

// Sends `call` and hands a 2xx reply's body to `on_body` as it arrives, never holding it whole
// (for long streams such as CARs); the body of any other reply (its first 64 KiB) is returned in
// the reply for the caller's message. Here call.timeout bounds connecting and every stretch with
// no bytes arriving (a stalled stream, to the second), not the whole exchange; max_body_bytes is
// not used. Errors as HttpFetch's, and any error `on_body` returns.
Result<HttpReply> HttpStream(const HttpCall& call, const HttpBodyFn& on_body);

}  // namespace ipfs_accelerate::net
