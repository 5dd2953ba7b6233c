#include "net/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>
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

struct Sink {
  std::string* body;
  size_t limit;
  CURL* handle = nullptr;
  bool over = false;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
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

}  // namespace

Result<HttpReply> HttpFetch(const HttpCall& call) {
  if (call.url.rfind("http://", 0) != 0 && call.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("'" + call.url + "' is not an http:// or https:// URL");
  }
  CURL* h = ThreadHandle();
  if (!h) return Status::Internal("libcurl could not make a handle");
  curl_easy_reset(h);  // keeps the connection cache, drops the last call's options

  HttpReply reply;
  Sink sink{&reply.body, call.max_body_bytes, h};
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
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, Header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(call.max_body_bytes));
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
  if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
    return Status::ResourceExhausted(what + ": the reply is over its limit of " +
                                     std::to_string(call.max_body_bytes) + " bytes");
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status::DeadlineExceeded(what + ": no complete reply within " +
                                    std::to_string(call.timeout.count()) + " ms");
  }
  if (rc != CURLE_OK) {
    return Status::Unavailable(what + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  char* type = nullptr;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
  if (type) reply.content_type = type;
  return reply;
}

}  // namespace ipfs_accelerate::net
