#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace ipfs_accelerate::net {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// The calling thread's handle: libcurl keeps its connections open between calls.
CURL* ThreadHandle() {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  thread_local std::unique_ptr<CURL, CurlEasyDeleter> handle(curl_easy_init());
  return handle.get();
}

// Where a reply's body goes: whole into `body` (up to `limit`), or, for a streamed 2xx reply,
// piece by piece to `on_body`.
struct Sink {
  std::string* body = nullptr;
  size_t limit = 0;
  CURL* handle = nullptr;
  bool over = false;
  const HttpBodyFn* on_body = nullptr;
  std::optional<HttpReply> head;  // streamed replies: status and type, read at the first piece
  Status stopped;                 // the error on_body returned
};

constexpr size_t kStreamErrorBodyBytes = 64 << 10;

// Status and Content-Type of the reply being received.
void ReadHead(CURL* h, HttpReply* reply) {
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  reply->status = static_cast<int>(status);
  char* type = nullptr;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
  reply->content_type = type ? type : "";
}

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->on_body) {
    if (!sink->head) {
      sink->head.emplace();
      ReadHead(sink->handle, &*sink->head);
    }
    if (sink->head->status >= 200 && sink->head->status < 300) {
      sink->stopped = (*sink->on_body)(*sink->head, {reinterpret_cast<const uint8_t*>(data), n});
      return sink->stopped.ok() ? n : 0;
    }
    // An error reply: its start is kept for the message, the rest dropped.
    const size_t keep =
        std::min(n, kStreamErrorBodyBytes - std::min(kStreamErrorBodyBytes, sink->body->size()));
    sink->body->append(data, keep);
    return n;
  }
  if (sink->body->empty() && sink->handle) {
    // One allocation of the announced length (a 1 MiB block grown by appends cost copies and
    // page faults).
    curl_off_t length = -1;
    curl_easy_getinfo(sink->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (length > 0 && static_cast<size_t>(length) <= sink->limit) sink->body->reserve(length);
  }
  if (sink->body->size() + n > sink->limit) {
    sink->over = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

// Keeps each header line of the reply, by lower-case name (those of the last response: a status
// line, after 100 Continue or a redirect, starts over).
size_t Header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) headers->clear();
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    (*headers)[name] = std::string(value);
  }
  return n;
}

Result<HttpReply> Perform(const HttpCall& call, const HttpBodyFn* on_body) {
  if (call.url.rfind("http://", 0) != 0 && call.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("'" + call.url + "' is not an http:// or https:// URL");
  }
  CURL* h = ThreadHandle();
  if (!h) return Status::Internal("libcurl could not make a handle");
  curl_easy_reset(h);  // keeps the connection cache, drops the last call's options

  HttpReply reply;
  Sink sink;
  sink.body = &reply.body;
  sink.limit = call.max_body_bytes;
  sink.handle = h;
  sink.on_body = on_body;
  std::unique_ptr<curl_slist, CurlListDeleter> headers;
  std::vector<std::string> lines = call.headers;
  // No "Expect: 100-continue" round trip before a large body: the peers we post to read it anyway.
  if (call.method == "POST" && !call.body.empty()) lines.push_back("Expect:");
  for (const std::string& header : lines) {
    curl_slist* grown = curl_slist_append(headers.get(), header.c_str());
    if (!grown) return Status::ResourceExhausted("out of memory for request headers");
    headers.release();
    headers.reset(grown);
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (!call.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, call.ca_file.c_str());
  const long timeout_ms = static_cast<long>(call.timeout.count());
  if (on_body) {
    // A stream may take as long as it takes while bytes keep coming.
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, (timeout_ms + 999) / 1000));
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10);  // fewer, larger pieces
  } else {
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(call.max_body_bytes));
  }
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, Header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply.headers);
  if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (call.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (call.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.data());
  } else if (call.method != "GET") {
    return Status::InvalidArgument("HTTP method " + call.method + " is not one HttpFetch sends");
  }

  const CURLcode rc = curl_easy_perform(h);
  const std::string what = call.method + " " + call.url;
  if (!sink.stopped.ok()) return sink.stopped;
  if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status::ResourceExhausted(what + ": the reply is over its limit of " +
                                     std::to_string(call.max_body_bytes) + " bytes");
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status::DeadlineExceeded(
        what + (on_body ? ": no bytes arrived for " : ": no complete reply within ") +
        std::to_string(call.timeout.count()) + " ms");
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable(what + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  ReadHead(h, &reply);
  return reply;
}

}  // namespace

Result<HttpReply> HttpFetch(const HttpCall& call) { return Perform(call, nullptr); }

Result<HttpReply> HttpStream(const HttpCall& call, const HttpBodyFn& on_body) {
  return Perform(call, &on_body);
}

}  // namespace ipfs_accelerate::net
