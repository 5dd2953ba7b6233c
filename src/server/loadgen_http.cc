// The load generator's HTTP side: one synchronous Boost.Beast client per connection thread
// (keep-alive), and the closed and open loops over them.
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/json_util.h"
#include "server/loadgen.h"

namespace ipfs_accelerate::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Letters, digits and -._~ as they are; everything else %XX (a model name in a path).
std::string PercentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

struct Response {
  int status = 0;
  std::string body;
};

// One keep-alive HTTP/1.1 connection, used by one thread; Abort may come from any thread.
class Connection {
 public:
  Connection(const HttpUrl& url, double timeout_s) : url_(url), timeout_s_(timeout_s) {}
  ~Connection() { Close(); }

  // Sends one request and reads its answer, connecting (again) when needed. kIoError when there
  // is no HTTP answer; kCancelled once aborted.
  Result<Response> Send(http::verb verb, const std::string& target, const std::string& body,
                        std::optional<uint64_t> header_length, const std::string& api_key) {
    if (!socket_.is_open()) IA_RETURN_IF_ERROR(Connect());
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, url_.HostPort());
    req.set(http::field::user_agent, "ipfs-accelerate-loadgen");
    req.keep_alive(true);
    if (!api_key.empty()) req.set(http::field::authorization, "Bearer " + api_key);
    if (verb == http::verb::post) {
      req.set(http::field::content_type,
              header_length ? "application/octet-stream" : "application/json");
      if (header_length) req.set("Inference-Header-Content-Length", std::to_string(*header_length));
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    http::write(socket_, req, ec);
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(uint64_t{1} << 30);
      http::read(socket_, buffer_, parser, ec);
      if (!ec) {
        Response r;
        r.status = static_cast<int>(parser.get().result_int());
        r.body = std::move(parser.get().body());
        if (!parser.get().keep_alive()) Close();
        return r;
      }
    }
    Close();
    if (aborted_.load()) return Status::Cancelled("stopped");
    return Status::IoError(url_.HostPort() + ": " + ec.message());
  }

  // Shuts the socket down so that a Send blocked in another thread returns; no more connects.
  void Abort() {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  Status Connect() {
    if (aborted_.load()) return Status::Cancelled("stopped");
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(url_.host, std::to_string(url_.port), ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec) {
      Close();
      return Status::IoError("cannot connect to " + url_.HostPort() + ": " + ec.message());
    }
    socket_.set_option(tcp::no_delay(true), ec);
    // Blocking reads and writes give up after the request timeout.
    timeval tv;
    tv.tv_sec = static_cast<time_t>(timeout_s_);
    tv.tv_usec = static_cast<suseconds_t>((timeout_s_ - static_cast<double>(tv.tv_sec)) * 1e6);
    int fd = socket_.native_handle();
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::lock_guard<std::mutex> lock(mu_);
    fd_ = fd;
    if (aborted_) ::shutdown(fd_, SHUT_RDWR);
    return Status::Ok();
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    beast::error_code ec;
    socket_.close(ec);
    fd_ = -1;
    buffer_.clear();
  }

  HttpUrl url_;
  double timeout_s_;
  asio::io_context ioc_;
  tcp::socket socket_{ioc_};
  beast::flat_buffer buffer_;
  std::mutex mu_;  // guards fd_ against Abort racing Close
  int fd_ = -1;
  std::atomic<bool> aborted_{false};
};

// The message of an error answer: its {"error": …} when it has one, else its first bytes.
std::string ErrorText(const Response& r) {
  auto j = ParseJson(r.body, "response");
  if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_string()) {
    return (*j)["error"];
  }
  return r.body.substr(0, 200);
}

std::string InferTarget(const HttpUrl& url, const std::string& model) {
  return url.base + "/v2/models/" + PercentEncode(model) + "/infer";
}

// What the worker threads share.
struct Shared {
  std::mutex mu;
  LoadgenResult result;
  Clock::time_point last_done;
  std::atomic<uint64_t> ok{0}, errors{0};
  std::atomic<bool> stop_sending{false};  // the duration is over (or cancelled)
  std::atomic<bool> aborted{false};       // requests in flight are being cut off

  void Record(Clock::time_point from, Clock::time_point done, const Result<Response>& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (!r.ok() && aborted.load()) {
      ++result.unfinished;
      return;
    }
    last_done = std::max(last_done, done);
    if (r.ok() && r->status == 200) {
      result.latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - from).count());
      ++result.ok;
      ok.fetch_add(1);
    } else {
      ++result.errors[r.ok() ? r->status : 0];
      errors.fetch_add(1);
    }
  }
};

}  // namespace

Result<router::ModelInfo> FetchModelMetadata(const HttpUrl& url, const std::string& model,
                                             const std::string& api_key) {
  Connection c(url, 60);
  std::string target = url.base + "/v2/models/" + PercentEncode(model);
  IA_ASSIGN_OR_RETURN(Response r, c.Send(http::verb::get, target, "", std::nullopt, api_key));
  std::string where = "GET " + url.HostPort() + target;
  if (r.status == 404) {
    return Status::NotFound(where + ": the server has no model '" + model + "' (" + ErrorText(r) +
                            ")");
  }
  if (r.status == 401 || r.status == 403) {
    return Status::InvalidArgument(where + ": HTTP " + std::to_string(r.status) + " (" +
                                   ErrorText(r) + "); give the API key with --api-key-file");
  }
  if (r.status != 200) {
    return Status::IoError(where + ": HTTP " + std::to_string(r.status) + " (" + ErrorText(r) +
                           ")");
  }
  IA_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(r.body, where));
  return router::ParseModelMetadata(j);
}

Status TryInferRequest(const HttpUrl& url, const std::string& model, const std::string& api_key,
                       const router::EncodedBody& body) {
  Connection c(url, 60);
  std::string target = InferTarget(url, model);
  IA_ASSIGN_OR_RETURN(Response r,
                      c.Send(http::verb::post, target, body.body, body.header_length, api_key));
  if (r.status == 200) return Status::Ok();
  return Status::InvalidArgument("POST " + url.HostPort() + target + ": the first request got " +
                                 "HTTP " + std::to_string(r.status) + " (" + ErrorText(r) + ")");
}

Result<LoadgenResult> RunLoadgen(const LoadgenOptions& o, const router::EncodedBody& body,
                                 CancelToken* cancel, const LoadgenProgress& progress) {
  const bool open_loop = o.rate > 0;
  const int connections = open_loop ? o.open_connections : o.concurrency;
  if (connections < 1) return Status::InvalidArgument("loadgen needs at least one connection");
  const std::string target = InferTarget(o.url, o.model);
  Shared shared;
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < connections; ++i) {
    conns.push_back(std::make_unique<Connection>(o.url, o.request_timeout_s));
  }
  // Open loop: scheduled arrival times waiting for a connection.
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<Clock::time_point> queue;
  size_t in_flight = 0;
  bool queue_closed = false;

  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(o.duration_s));
  shared.last_done = start;
  std::atomic<int> active{connections};
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      Connection& conn = *conns[i];
      while (!shared.aborted.load()) {
        Clock::time_point from;
        if (open_loop) {
          std::unique_lock<std::mutex> lock(queue_mu);
          queue_cv.wait(lock, [&] { return !queue.empty() || queue_closed || shared.aborted; });
          if (shared.aborted || queue.empty()) break;
          from = queue.front();
          queue.pop_front();
          ++in_flight;
        } else {
          from = Clock::now();
          if (shared.stop_sending.load() || from >= end) break;
        }
        {
          std::lock_guard<std::mutex> lock(shared.mu);
          ++shared.result.requests;
        }
        auto r = conn.Send(http::verb::post, target, body.body, body.header_length, o.api_key);
        shared.Record(from, Clock::now(), r);
        if (open_loop) {
          std::lock_guard<std::mutex> lock(queue_mu);
          --in_flight;
        }
      }
      active.fetch_sub(1);
    });
  }
  // The open loop's arrivals: Poisson, each at its scheduled time, refused when too many are
  // outstanding (queued or in flight) so that memory stays bounded.
  std::thread scheduler;
  if (open_loop) {
    scheduler = std::thread([&] {
      PoissonArrivals arrivals(o.rate, o.seed);
      Clock::time_point next = start;
      while (true) {
        next += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(arrivals.NextGapSeconds()));
        if (next >= end) break;
        // Sleep in short steps so that a stop is noticed.
        while (Clock::now() < next && !shared.stop_sending.load()) {
          std::this_thread::sleep_until(
              std::min(next, Clock::now() + std::chrono::milliseconds(50)));
        }
        if (shared.stop_sending.load()) break;
        std::lock_guard<std::mutex> lock(queue_mu);
        if (queue.size() + in_flight >= o.max_outstanding) {
          std::lock_guard<std::mutex> rlock(shared.mu);
          ++shared.result.dropped;
          continue;
        }
        queue.push_back(next);
        queue_cv.notify_one();
      }
      std::lock_guard<std::mutex> lock(queue_mu);
      queue_closed = true;
      queue_cv.notify_all();
    });
  }

  bool interrupted = false;
  Clock::time_point drain_end =
      end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.drain_s));
  auto abort_all = [&] {
    shared.aborted = true;
    {
      std::lock_guard<std::mutex> lock(queue_mu);
      queue_closed = true;
      queue_cv.notify_all();
    }
    for (auto& c : conns) c->Abort();
  };
  // When sending stopped: the end of the duration, or Ctrl-C before it.
  Clock::time_point stopped_at = end;
  while (active.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Clock::time_point now = Clock::now();
    if (progress) progress(Seconds(now - start), shared.ok.load(), shared.errors.load());
    if (cancel && cancel->cancelled() && !interrupted) {
      interrupted = true;
      if (!shared.stop_sending.load()) stopped_at = now;
      shared.stop_sending = true;
      abort_all();
    }
    if (now >= end) shared.stop_sending = true;
    if (now >= drain_end && !shared.aborted.load()) abort_all();
  }
  shared.stop_sending = true;
  if (scheduler.joinable()) scheduler.join();
  for (auto& t : threads) t.join();
  LoadgenResult out = std::move(shared.result);
  out.unfinished += queue.size();
  out.interrupted = interrupted;
  // Throughput is over the time load was offered, and until the last answer after it.
  out.wall_s = Seconds(std::max(std::min(stopped_at, Clock::now()), shared.last_done) - start);
  return out;
}

}  // namespace ipfs_accelerate::server
