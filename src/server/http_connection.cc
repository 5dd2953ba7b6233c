// One callback chain per connection, every step on the connection's strand:
//   [TLS handshake] → read headers → (100 Continue) → read body → handler → write → next request
// While the handler works, the socket is watched so that a client that hangs up cancels
// client_gone.
#include "server/http_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstdio>
#include <optional>

#include "server/http_message.h"
#include "server/websocket_session.h"

namespace ipfs_accelerate::server::detail {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

// After an error answer or Connection: close, the server stops sending and reads what the client
// still sends for a while, so the client's unread request bytes do not turn the close into a
// reset that destroys the answer before the client has read it. A body refused for its size is
// the usual case: a client a few MiB over the limit still reads its 413 (at 1 MiB, a 3 MiB body
// sometimes lost it to the reset).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 16 << 20;
// TLS clients send close_notify before their FIN, so data on the socket does not end the watch.
constexpr auto kTlsWatchInterval = std::chrono::milliseconds(200);

template <class Stream>
class ConnectionImpl : public Connection,
                       public std::enable_shared_from_this<ConnectionImpl<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  ConnectionImpl(std::shared_ptr<Shared> shared, tcp::socket socket, std::string remote)
      : shared_(std::move(shared)),
        stream_(MakeStream(std::move(socket))),
        remote_(std::move(remote)),
        timer_(stream_.get_executor()) {}

  ~ConnectionImpl() override { shared_->Unregister(id_); }

  void Register() override { id_ = shared_->Register(this->weak_from_this()); }

  void Start() override {
    if (shared_->stopping) return CloseNow();
    if constexpr (kTls) {
      Lowest().expires_after(Seconds(shared_->options.header_timeout_s));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->CloseNow();
                                self->ReadRequest(true);
                              });
    } else {
      ReadRequest(true);
    }
  }

  void BeginStop() override {
    if (state_ == State::kReading) CloseNow();
  }

  void CloseNow() override {
    if (state_ == State::kClosed) return;
    if (state_ == State::kHandling) client_gone_->Cancel();  // its answer will never be sent
    if (in_flight_) {
      in_flight_ = false;
      shared_->FlightDone();
    }
    state_ = State::kClosed;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
    timer_.cancel();
    shared_->open.fetch_sub(1);
    self_.reset();
  }

  net::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  enum class State { kReading, kHandling, kWriting, kClosing, kClosed };

  Stream MakeStream(tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *shared_->tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<ConnectionImpl> Self() { return this->shared_from_this(); }

  void ReadRequest(bool first) {
    if (state_ == State::kClosed) return;
    if (shared_->stopping) return CloseNow();
    state_ = State::kReading;
    parser_.emplace();
    detail::ConfigureParser(*parser_, shared_->options);
    if (first || buffer_.size() > 0) return ReadHeader();
    // Between requests: wait up to idle_timeout_s for the first byte of the next one.
    Lowest().expires_after(Seconds(shared_->options.idle_timeout_s));
    stream_.async_read_some(buffer_.prepare(4096), [self = Self()](beast::error_code ec, size_t n) {
      if (ec) return self->CloseNow();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  // Gives the read about to start `seconds`. Past them a plain-HTTP read is cancelled and
  // answered 408 (OnReadError); a TLS connection is closed by its stream's own expiry, since what
  // a cancelled TLS read leaves in the stream is not known.
  void ReadDeadline(double seconds, const char* what) {
    if constexpr (kTls) {
      Lowest().expires_after(Seconds(seconds));
    } else {
      Lowest().expires_never();
      read_timeout_ = nullptr;
      timer_.expires_after(Seconds(seconds));
      timer_.async_wait([self = Self(), gen = ++read_deadline_, what](beast::error_code ec) {
        if (ec || gen != self->read_deadline_ || self->state_ != State::kReading) return;
        self->read_timeout_ = what;
        beast::error_code ignored;
        self->Lowest().socket().cancel(ignored);
      });
    }
  }
  void ReadDone() {
    if constexpr (!kTls) {
      ++read_deadline_;  // a deadline that fires now finds a later read, or none
      timer_.cancel();
    }
  }
  bool ReadTimedOut(beast::error_code ec) const {
    return read_timeout_ && ec == net::error::operation_aborted;
  }

  void ReadHeader() {
    ReadDeadline(shared_->options.header_timeout_s, "the request's headers");
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    ReadDone();
    if (ec) return OnReadError(ec);
    if (auto refusal = detail::CheckHeaders(*parser_, shared_->options)) {
      return WriteRefusal(*refusal);
    }
    if (parser_->is_done()) return Dispatch();
    if (detail::WantsContinue(*parser_)) {
      auto res = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                    parser_->get().version());
      Lowest().expires_after(Seconds(shared_->options.body_timeout_s));
      return http::async_write(stream_, *res, [self = Self(), res](beast::error_code ec, size_t) {
        if (ec) return self->CloseNow();
        self->ReadBody();
      });
    }
    ReadBody();
  }

  void ReadBody() {
    ReadDeadline(shared_->options.body_timeout_s, "the request's body");
    http::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t) {
      self->ReadDone();
      if (ec) return self->OnReadError(ec);
      self->Dispatch();
    });
  }

  void OnReadError(beast::error_code ec) {
    // The parser's complaints and a plain-HTTP read past its deadline get an answer. A TLS
    // timeout has already closed the socket (tcp_stream does), and a client that went away or
    // broke the connection is owed nothing.
    if (ReadTimedOut(ec) && state_ == State::kReading) {
      double limit = parser_ && parser_->is_header_done() ? shared_->options.body_timeout_s
                                                          : shared_->options.header_timeout_s;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", limit);
      return WriteRefusal({408, std::string(read_timeout_) + " did not arrive within " + seconds +
                                    " s; send the whole request at once"});
    }
    static const auto& kHttpCategory = http::make_error_code(http::error::need_more).category();
    if (state_ == State::kClosed || ec.category() != kHttpCategory ||
        ec == http::error::end_of_stream || ec == http::error::partial_message) {
      return CloseNow();
    }
    WriteRefusal(detail::RefusalForParse(ec, shared_->options));
  }

  void WriteRefusal(const detail::Refusal& refusal) {
    keep_alive_ = false;
    version_ = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    Write(refusal.ToResponse());
  }

  void Dispatch() {
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    upgrade_.reset();
    if (beast::websocket::is_upgrade(msg)) upgrade_.emplace(msg.base());
    auto built = detail::BuildRequest(parser_->release(), remote_, kTls);
    parser_.reset();
    if (!built.ok()) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(400, built.status().message()));
    }
    HttpRequest request = std::move(built).value();
    head_ = request.method == "HEAD";
    state_ = State::kHandling;
    ++generation_;
    client_gone_ = request.client_gone;
    {
      std::lock_guard lock(shared_->flight_mu);
      ++shared_->in_flight;
    }
    in_flight_ = true;
    self_ = Self();  // the handler's answer may come long after every pending operation ends
    Watch();
    Responder respond = MakeResponder();
    try {
      shared_->handler(std::move(request), respond);
    } catch (const std::exception& e) {
      respond(HttpResponse::Error(500, std::string("the request handler failed: ") + e.what()));
    } catch (...) {
      respond(HttpResponse::Error(500, "the request handler failed"));
    }
  }

  Responder MakeResponder() {
    auto called = std::make_shared<std::atomic<bool>>(false);
    std::weak_ptr<ConnectionImpl> weak = Self();
    return [weak, shared = shared_, called, gen = generation_](HttpResponse response) {
      if (called->exchange(true)) return;  // exactly once: later calls are ignored
      std::unique_lock lock(shared->post_mu);
      auto conn = shared->posts_open ? weak.lock() : nullptr;
      if (!conn) {
        lock.unlock();
        if (response.after_sent) response.after_sent();
        return;
      }
      auto ex = conn->stream_.get_executor();
      net::post(ex, [conn = std::move(conn), gen, response = std::move(response)]() mutable {
        conn->OnResponse(gen, std::move(response));
      });
    };
  }

  // Waits for the socket to become readable while the handler works: end of stream or an error
  // means the client has gone; a pipelined request (plain HTTP) ends the watch.
  void Watch() {
    Lowest().socket().async_wait(
        tcp::socket::wait_read, [self = Self(), gen = generation_](beast::error_code ec) {
          if (ec || gen != self->generation_ || self->state_ != State::kHandling) {
            return;
          }
          self->CheckClient();
        });
  }

  void CheckClient() {
    int fd = Lowest().socket().native_handle();
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    bool gone = ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
    bool data = false;
    if (!gone) {
      char byte;
      ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
      data = n > 0;
    }
    if (gone) return client_gone_->Cancel();
    if (!data) return Watch();  // woken without data: watch on
    if constexpr (kTls) {
      timer_.expires_after(kTlsWatchInterval);
      timer_.async_wait([self = Self(), gen = generation_](beast::error_code ec) {
        if (!ec && gen == self->generation_ && self->state_ == State::kHandling) {
          self->CheckClient();
        }
      });
    }
  }

  void OnResponse(uint64_t gen, HttpResponse response) {
    if (gen != generation_ || state_ != State::kHandling) {  // closed meanwhile
      if (response.after_sent) response.after_sent();
      return;
    }
    beast::error_code ec;
    Lowest().socket().cancel(ec);  // the watch
    timer_.cancel();
    Write(std::move(response));
  }

  static std::string Clean(std::string s) {
    for (char& c : s) {
      if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    }
    return s;
  }

  void Write(HttpResponse response) {
    if (response.websocket) {
      if (upgrade_) return HandOff(std::move(response));
      response = HttpResponse::Error(
          426, "this route is a WebSocket: connect with a WebSocket client (Upgrade: websocket)");
      response.headers.emplace_back("Upgrade", "websocket");
    }
    state_ = State::kWriting;
    after_sent_ = std::move(response.after_sent);
    keep_writing_ = keep_alive_ && !shared_->stopping;
    if (response.stream && !head_) return WriteStream(std::move(response));
    res_.emplace();
    SetHeaders(*res_, response);
    if (head_) {
      // The headers a GET would have, no body: the length of the body the GET would send.
      if (!response.stream) res_->content_length(response.body.size());
    } else {
      res_->body() = std::move(response.body);
      res_->prepare_payload();
    }
    Lowest().expires_after(Seconds(shared_->options.body_timeout_s));
    http::async_write(stream_, *res_,
                      [self = Self()](beast::error_code ec, size_t) { self->OnWritten(ec); });
  }

  template <class Message>
  void SetHeaders(Message& res, HttpResponse& response) {
    int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
    res.result(static_cast<unsigned>(status));
    res.version(version_);
    if (!response.content_type.empty()) {
      res.set(http::field::content_type, Clean(response.content_type));
    }
    for (auto& [name, value] : response.headers) {
      if (name.empty()) continue;
      res.insert(Clean(name), Clean(value));
    }
    res.keep_alive(keep_writing_);
  }

  // A streamed body: the headers, then pieces of at least kStreamPiece bytes as the stream makes
  // them, each write with its own deadline (a large body may take longer than any one limit).
  struct Streaming {
    http::response<http::buffer_body> res;
    http::response_serializer<http::buffer_body> serializer{res};
    std::shared_ptr<BodyStream> body;
    std::string piece;
  };
  static constexpr size_t kStreamPiece = 256 << 10;

  void WriteStream(HttpResponse response) {
    streaming_ = std::make_unique<Streaming>();
    Streaming& s = *streaming_;
    s.body = std::move(response.stream);
    if (version_ < 11) keep_writing_ = false;  // the body ends when the connection does
    SetHeaders(s.res, response);
    if (version_ >= 11) s.res.chunked(true);
    s.res.body().data = nullptr;
    s.res.body().more = true;
    Lowest().expires_after(Seconds(shared_->options.body_timeout_s));
    http::async_write_header(stream_, s.serializer, [self = Self()](beast::error_code ec, size_t) {
      if (ec) return self->OnWritten(ec);
      self->Pump();
    });
  }

  void Pump() {
    Streaming& s = *streaming_;
    s.piece.clear();
    bool more = true;
    const bool live = s.body->live();
    while (more && s.piece.size() < kStreamPiece && (!live || s.piece.empty())) {
      Result<bool> next = Status::Internal("the body stream failed");
      try {
        next = s.body->Next(&s.piece);
      } catch (const std::exception& e) {
        next = Status::Internal(std::string("the body stream failed: ") + e.what());
      }
      if (!next.ok()) {
        // Headers are out with 200: all that is left is to end the body early.
        keep_writing_ = false;
        return OnWritten(net::error::operation_aborted);
      }
      more = *next;
      if (live && more && s.piece.empty()) {
        // Nothing yet: come back when the producer says there is more (the producer holds the
        // connection until then; it always calls, at the latest when its stream ends).
        s.body->WhenReady([self = Self()] {
          auto ex = self->stream_.get_executor();
          net::post(ex, [self] { self->Pump(); });
        });
        return;
      }
    }
    s.res.body().data = s.piece.empty() ? nullptr : s.piece.data();
    s.res.body().size = s.piece.size();
    s.res.body().more = more;
    Lowest().expires_after(Seconds(shared_->options.body_timeout_s));
    http::async_write(stream_, s.serializer, [self = Self(), more](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      if (ec || !more) return self->OnWritten(ec);
      self->Pump();
    });
  }

  void OnWritten(beast::error_code ec) {
    bool keep = keep_writing_;
    res_.reset();
    streaming_.reset();
    head_ = false;
    if (in_flight_) {
      in_flight_ = false;
      shared_->FlightDone();
    }
    self_.reset();  // the write's handler holds the connection now
    if (ec) {
      CloseNow();
    } else if (!keep) {
      LingeringClose();
    } else {
      ReadRequest(false);
    }
    if (auto after = std::move(after_sent_)) {
      after_sent_ = nullptr;
      after();
    }
  }

  // The answer made this connection a WebSocket: the stream, and with it the socket and its place
  // among the open connections, go to a WebSocketSession; this object is done.
  void HandOff(HttpResponse response) {
    if (in_flight_) {
      in_flight_ = false;
      shared_->FlightDone();
    }
    state_ = State::kClosed;
    timer_.cancel();
    buffer_.consume(buffer_.size());  // a client sends nothing before the handshake's answer
    auto ws = std::make_shared<WebSocketSession<Stream>>(
        shared_, std::move(stream_), std::move(buffer_), std::move(*upgrade_), response, remote_);
    upgrade_.reset();
    ws->Register();
    ws->Start();
    if (response.after_sent) response.after_sent();
    self_.reset();
  }

  void LingeringClose() {
    state_ = State::kClosing;
    Lowest().expires_after(kLingerTime);
    if constexpr (kTls) {
      stream_.async_shutdown([self = Self()](beast::error_code) { self->CloseNow(); });
    } else {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Drain(0);
    }
  }

  void Drain(size_t drained) {
    if (drained > kLingerBytes) return CloseNow();
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = Self(), drained](beast::error_code ec, size_t n) {
                              if (ec) return self->CloseNow();
                              self->Drain(drained + n);
                            });
  }

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  std::string remote_;
  net::steady_timer timer_;
  uint64_t id_ = 0;  // in the registry; 0: not registered
  State state_ = State::kReading;
  beast::flat_buffer buffer_;
  std::optional<detail::RequestParser> parser_;
  std::optional<http::response<http::string_body>> res_;
  std::optional<http::request<http::empty_body>> upgrade_;  // the request, when it is an upgrade
  std::unique_ptr<Streaming> streaming_;  // the answer being written, when it is streamed
  bool head_ = false;                     // the request being answered is a HEAD
  bool keep_writing_ = false;             // the answer being written keeps the connection
  std::function<void()> after_sent_;      // of the answer being written
  uint64_t read_deadline_ = 0;            // which read the read timer is for (plain HTTP)
  const char* read_timeout_ = nullptr;    // what arrived too late, once the timer has fired
  bool keep_alive_ = false;
  unsigned version_ = 11;
  uint64_t generation_ = 0;  // which request a late answer belongs to
  bool in_flight_ = false;
  std::shared_ptr<CancelToken> client_gone_;
  std::shared_ptr<ConnectionImpl> self_;
};

}  // namespace

std::shared_ptr<Connection> MakeConnection(std::shared_ptr<Shared> shared, tcp::socket socket,
                                           std::string remote) {
  std::shared_ptr<Connection> connection;
  if (shared->tls) {
    connection = std::make_shared<ConnectionImpl<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(shared), std::move(socket), std::move(remote));
  } else {
    connection = std::make_shared<ConnectionImpl<beast::tcp_stream>>(
        std::move(shared), std::move(socket), std::move(remote));
  }
  connection->Register();
  return connection;
}

}  // namespace ipfs_accelerate::server::detail
