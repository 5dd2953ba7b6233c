#include "server/http_message.h"

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/json_util.h"

namespace ipfs_accelerate::server {

namespace http = boost::beast::http;

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

bool HttpRequest::HasHeader(const std::string& name) const {
  for (const auto& header : headers) {
    if (header.first == name) return true;
  }

  return false;
}

bool IsWebSocketUpgrade(const HttpRequest& request) {
  auto has_token = [](std::string value, const std::string& token) {
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = 0;
    while (at <= value.size()) {
      size_t comma = value.find(',', at);
      if (comma == std::string::npos) comma = value.size();
      size_t b = value.find_first_not_of(" \t", at);
      size_t e = value.find_last_not_of(" \t", comma == 0 ? 0 : comma - 1);
      if (b != std::string::npos && b < comma && e != std::string::npos && e >= b &&
          value.compare(b, e - b + 1, token) == 0) {
        return true;
      }
      at = comma + 1;
    }
    return false;
  };
  return request.method == "GET" && has_token(request.Header("connection"), "upgrade") &&
         has_token(request.Header("upgrade"), "websocket") &&
         !request.Header("sec-websocket-key").empty() &&
         request.Header("sec-websocket-version") == "13";
}

HttpResponse HttpResponse::Error(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = DumpJson(nlohmann::json{{"error", message}});
  return response;
}

namespace detail {
namespace {

// Process-wide so that ids stay unique across servers (a test may run several).
uint64_t NextRequestId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%2F" → "/"; a truncated or non-hex escape, or one that decodes to NUL, is refused (a NUL would
// cut the path short for whatever treats it as a C string).
Result<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    int hi = i + 2 < in.size() ? HexDigit(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexDigit(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument("bad percent-escape at offset " + std::to_string(i) +
                                     " of the request path (write '%' as %25)");
    }
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return Status::InvalidArgument("the request path holds %00");
    out.push_back(c);
    i += 2;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && Lower(s.substr(0, prefix.size())) == prefix;
}

}  // namespace

Status Refusal::ToStatus() const {
  if (status == 413 || status == 431) return Status::ResourceExhausted(message);
  return Status::InvalidArgument(message);
}

void ConfigureParser(RequestParser& parser, const HttpServerOptions& options) {
  uint64_t header_limit = std::min<uint64_t>(options.max_header_bytes, UINT32_MAX);
  parser.header_limit(static_cast<uint32_t>(header_limit));
  parser.body_limit(std::numeric_limits<uint64_t>::max());
}

std::optional<Refusal> CheckHeaders(RequestParser& parser, const HttpServerOptions& options) {
  auto length = parser.content_length();
  if (length && *length > options.max_body_bytes) {
    return Refusal{413, "request body of " + std::to_string(*length) +
                            " bytes is over the limit of " +
                            std::to_string(options.max_body_bytes) +
                            " bytes (send less per request, or raise the server's body limit)"};
  }
  parser.body_limit(options.max_body_bytes);
  return std::nullopt;
}

Refusal RefusalForParse(const boost::beast::error_code& ec, const HttpServerOptions& options) {
  if (ec == http::error::header_limit) {
    return Refusal{431, "request headers are over the limit of " +
                            std::to_string(options.max_header_bytes) +
                            " bytes (send fewer or shorter headers)"};
  }
  if (ec == http::error::body_limit) {
    return Refusal{413, "request body is over the limit of " +
                            std::to_string(options.max_body_bytes) +
                            " bytes (send less per request, or raise the server's body limit)"};
  }
  return Refusal{400, "malformed HTTP request: " + ec.message()};
}

bool WantsContinue(const RequestParser& parser) {
  const auto& msg = parser.get();
  auto it = msg.find(http::field::expect);
  return msg.version() >= 11 && it != msg.end() && Lower(View(it->value())) == "100-continue";
}

Result<HttpRequest> BuildRequest(http::request<http::string_body>&& msg, std::string remote,
                                 bool tls) {
  HttpRequest request;
  request.id = NextRequestId();
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  std::string_view target = request.target;
  // Absolute-form ("http://host/path", which HTTP/1.1 servers must accept) is reduced to its path.
  if (StartsWithNoCase(target, "http://") || StartsWithNoCase(target, "https://")) {
    size_t authority = target.find("//") + 2;
    size_t slash = target.find_first_of("/?", authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || (target[0] != '/' && target[0] != '?')) {
    return Status::InvalidArgument("request target '" + request.target.substr(0, 200) +
                                   "' is no path (it must start with '/')");
  }
  size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  IA_ASSIGN_OR_RETURN(request.path, PercentDecode(raw_path));
  if (request.path.empty() || request.path[0] != '/') request.path.insert(0, "/");
  for (const auto& field : msg) {
    request.headers.emplace_back(Lower(View(field.name_string())), std::string(field.value()));
  }
  request.body = std::move(msg.body());
  request.remote = std::move(remote);
  request.tls = tls;
  request.client_gone = std::make_shared<CancelToken>();
  return request;
}

}  // namespace detail

std::optional<std::string> HttpRequest::QueryParam(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    if (eq == std::string_view::npos) return std::string();
    std::string_view value = pair.substr(eq + 1);
    auto decoded = detail::PercentDecode(value);
    return decoded.ok() ? std::move(*decoded) : std::string(value);
  }
  return std::nullopt;
}

Result<HttpRequest> ParseHttpRequest(const std::string& bytes, const HttpServerOptions& options) {
  detail::RequestParser parser;
  detail::ConfigureParser(parser, options);
  boost::beast::error_code ec;
  size_t used = 0;
  bool headers_checked = false;
  while (!parser.is_done()) {
    if (parser.is_header_done() && !headers_checked) {
      if (auto refusal = detail::CheckHeaders(parser, options)) return refusal->ToStatus();
      headers_checked = true;
      continue;
    }
    if (used == bytes.size()) {
      // No more bytes: a body that runs to the end of the stream ends here; anything else is cut.
      if (parser.got_some()) parser.put_eof(ec);
      if (ec) return detail::RefusalForParse(ec, options).ToStatus();
      if (!parser.is_done()) {
        return Status::InvalidArgument("incomplete HTTP request: " +
                                       std::string(parser.is_header_done() ? "body" : "headers") +
                                       " cut short after " + std::to_string(bytes.size()) +
                                       " bytes");
      }
      break;
    }
    size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      ec = {};
      if (n == 0) used = bytes.size();  // the parser wants more than there is
      continue;
    }
    if (ec) return detail::RefusalForParse(ec, options).ToStatus();
    if (n == 0 && !parser.is_done() && !(parser.is_header_done() && !headers_checked)) {
      return Status::InvalidArgument("HTTP parser made no progress");
    }
  }
  auto request = detail::BuildRequest(parser.release(), "", false);
  if (!request.ok()) return request.status();
  return request;
}

}  // namespace ipfs_accelerate::server
