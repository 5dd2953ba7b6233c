// Internal to the server room: a connection after its upgrade to a WebSocket (RFC 6455, through
// Beast). The HTTP connection hands over its stream, the bytes it read past the request and the
// upgrade request; from then on this object is the connection (registered for Stop, counted as
// open) and drives a WebSocketHandler: the handshake, a read loop delivering whole messages, a
// queue of messages out, pings to a silent peer and the close.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "server/http_connection.h"

namespace ipfs_accelerate::server::detail {

template <class Stream>
class WebSocketSession : public Connection,
                         public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::empty_body>;

  WebSocketSession(std::shared_ptr<Shared> shared, Stream stream, boost::beast::flat_buffer buffer,
                   Request request, HttpResponse& answer, std::string remote)
      : shared_(std::move(shared)),
        ws_(std::move(stream)),
        buffer_(std::move(buffer)),
        request_(std::move(request)),
        handler_(std::move(answer.websocket)),
        max_message_(answer.websocket_max_message),
        idle_s_(answer.websocket_idle_timeout_s),
        remote_(std::move(remote)) {}

  ~WebSocketSession() override { shared_->Unregister(id_); }

  void Register() override { id_ = shared_->Register(this->weak_from_this()); }

  void Start() override {
    namespace websocket = boost::beast::websocket;
    boost::beast::get_lowest_layer(ws_).expires_never();  // the websocket keeps its own time
    // Messages are requests and answers waited for: none may sit in Nagle's buffer.
    boost::beast::error_code ignored;
    boost::beast::get_lowest_layer(ws_).socket().set_option(boost::asio::ip::tcp::no_delay(true),
                                                            ignored);
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = Seconds(shared_->options.header_timeout_s);
    timeout.idle_timeout = Seconds(idle_s_);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(max_message_);
    ws_.async_accept(request_, [self = this->shared_from_this()](boost::beast::error_code ec) {
      if (ec) return self->Finish("the WebSocket handshake failed: " + ec.message());
      self->open_ = true;
      self->handler_->OnOpen(std::make_shared<Channel>(self));
      self->Read();
    });
  }

  // A close frame after the message being written, if any (one write at a time).
  void BeginStop() override {
    if (open_) CloseWith(1001, "the server is stopping");
  }

  void CloseNow() override {
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().shutdown(
        boost::asio::ip::tcp::socket::shutdown_both, ec);
    boost::beast::get_lowest_layer(ws_).socket().close(ec);
    Finish("the server is stopping");
  }

  boost::asio::any_io_executor executor() override { return ws_.get_executor(); }

 private:
  // The handler's side: hops to the strand; holds the session weakly, so a channel kept after the
  // close costs nothing and sends nothing.
  class Channel : public WebSocketChannel {
   public:
    explicit Channel(const std::shared_ptr<WebSocketSession>& s)
        : session_(s), remote_(s->remote_) {}
    bool Send(std::string message, bool binary) override {
      auto s = session_.lock();
      if (!s || s->done_flag_.load()) return false;
      boost::asio::post(s->ws_.get_executor(), [s, m = std::move(message), binary]() mutable {
        s->Enqueue(std::move(m), binary);
      });
      return true;
    }
    void Close(uint16_t code, std::string reason) override {
      auto s = session_.lock();
      if (!s) return;
      if (reason.size() > 123) reason.resize(123);
      boost::asio::post(s->ws_.get_executor(), [s, code, r = std::move(reason)]() mutable {
        s->CloseWith(code, std::move(r));
      });
    }
    const std::string& remote() const override { return remote_; }

   private:
    std::weak_ptr<WebSocketSession> session_;
    std::string remote_;
  };

  void Read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](boost::beast::error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      std::string message = boost::beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (!self->done_) self->handler_->OnMessage(std::move(message), self->ws_.got_binary());
      self->Read();
    });
  }

  void OnReadError(boost::beast::error_code ec) {
    namespace websocket = boost::beast::websocket;
    if (ec == websocket::error::closed) {
      const auto& r = ws_.reason();
      return Finish("closed by the peer (" + std::to_string(r.code) +
                    (r.reason.empty() ? "" : ": " + std::string(r.reason.c_str())) + ")");
    }
    if (ec == websocket::error::message_too_big) {
      return Finish("a message was larger than " + std::to_string(max_message_) + " bytes");
    }
    if (ec == boost::beast::error::timeout) return Finish("the peer was silent too long");
    Finish(ec.message());
  }

  void Enqueue(std::string message, bool binary) {
    if (done_ || closing_) return;
    out_.emplace_back(std::move(message), binary);
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (out_.empty() || done_) {
      writing_ = false;
      if (pending_close_ && !done_) SendClose();
      return;
    }
    writing_ = true;
    ws_.binary(out_.front().second);
    ws_.async_write(boost::asio::buffer(out_.front().first),
                    [self = this->shared_from_this()](boost::beast::error_code ec, size_t) {
                      self->out_.pop_front();  // the message written (Finish keeps it)
                      if (ec) return self->Finish("sending failed: " + ec.message());
                      self->WriteNext();
                    });
  }

  // A close after the messages already queued.
  void CloseWith(uint16_t code, std::string reason) {
    if (done_ || closing_ || pending_close_) return;
    pending_close_ = true;
    close_ = {code, std::move(reason)};
    if (!writing_) SendClose();
  }

  void SendClose() {
    if (closing_) return;
    closing_ = true;
    boost::beast::websocket::close_reason why;
    why.code = close_.first;
    why.reason = boost::beast::string_view(close_.second);
    ws_.async_close(why, [self = this->shared_from_this()](boost::beast::error_code) {
      self->Finish("closed by the server (" + std::to_string(self->close_.first) + ": " +
                   self->close_.second + ")");
    });
  }

  void Finish(const std::string& why) {
    if (done_) return;
    done_ = true;
    done_flag_ = true;
    // A message being written stays until its write completes: its bytes are in use.
    out_.erase(writing_ && !out_.empty() ? out_.begin() + 1 : out_.begin(), out_.end());
    if (open_) handler_->OnClose(why);
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().close(ec);
    shared_->open.fetch_sub(1);
  }

  std::shared_ptr<Shared> shared_;
  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  Request request_;
  std::shared_ptr<WebSocketHandler> handler_;
  uint64_t max_message_;
  double idle_s_;
  std::string remote_;
  uint64_t id_ = 0;
  // On the strand only:
  bool open_ = false;  // handshake done, OnOpen called
  bool done_ = false;  // Finish ran
  bool writing_ = false;
  bool closing_ = false;        // a close frame is on its way
  bool pending_close_ = false;  // Close asked for, after the queue
  std::pair<uint16_t, std::string> close_{1000, ""};
  std::deque<std::pair<std::string, bool>> out_;
  std::atomic<bool> done_flag_{false};  // done_, for Send on other threads
};

}  // namespace ipfs_accelerate::server::detail
