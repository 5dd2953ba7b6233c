// Internal to the server room: the one place an HTTP request is parsed and checked against the
// limits, shared by the server's connections and ParseHttpRequest (so the fuzz target exercises
// exactly what the network reaches).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "server/http_server.h"

namespace ipfs_accelerate::server::detail {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A fresh parser's limits: header_limit(max_header_bytes); the body limit is left open until
// CheckHeaders has read Content-Length (so a 413 can name it) and then set to max_body_bytes.
void ConfigureParser(RequestParser& parser, const HttpServerOptions& options);

// Why a request is refused: the HTTP status to answer with and the message of its JSON error.
struct Refusal {
  int status = 400;
  std::string message;
  HttpResponse ToResponse() const { return HttpResponse::Error(status, message); }
  // kResourceExhausted for a limit (413, 431), kInvalidArgument otherwise.
  Status ToStatus() const;
};

// Called once the headers are in: a 413 when Content-Length is over max_body_bytes (before any of
// the body is read), else nothing; sets the body limit for chunked bodies.
std::optional<Refusal> CheckHeaders(RequestParser& parser, const HttpServerOptions& options);

// Why the parser refused a request: 431 (headers over the limit), 413 (a chunked body over the
// limit), else 400 naming the parser's complaint.
Refusal RefusalForParse(const boost::beast::error_code& ec, const HttpServerOptions& options);

// The handler's view of a complete message; kInvalidArgument for a target that is no path or a
// bad percent-escape (the server answers 400).
Result<HttpRequest> BuildRequest(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                                 std::string remote, bool tls);

// True when the client asked to be told to go on before it sends the body (Expect: 100-continue).
bool WantsContinue(const RequestParser& parser);

}  // namespace ipfs_accelerate::server::detail
