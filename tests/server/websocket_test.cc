// WebSockets through HttpServer: an upgrade answered with a handler becomes that handler's socket
// (text and binary messages both ways, in order; a close with its code and reason), a message over
// the limit closes it with 1009, a plain request to a WebSocket route is 426, and the server's stop
// closes open sockets. The client is Beast's own WebSocket client.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "../test_util.h"
#include "http_test_client.h"
#include "server/http_server.h"

namespace ipfs_accelerate::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using test_util::HasSubstr;

// Echoes each message back prefixed with "echo:"; "bye" makes it close with 1000.
struct EchoHandler : WebSocketHandler {
  std::shared_ptr<WebSocketChannel> channel;
  std::mutex mu;
  std::condition_variable cv;
  std::string closed;  // OnClose's reason, once called
  void OnOpen(std::shared_ptr<WebSocketChannel> c) override { channel = std::move(c); }
  void OnMessage(std::string message, bool binary) override {
    if (message == "bye") return channel->Close(1000, "as asked");
    channel->Send("echo:" + message, binary);
  }
  void OnClose(const std::string& why) override {
    std::lock_guard lock(mu);
    closed = why.empty() ? "(empty)" : why;
    cv.notify_all();
  }
  std::string WaitClosed() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return !closed.empty(); });
    return closed;
  }
};

struct Fixture {
  std::shared_ptr<EchoHandler> handler = std::make_shared<EchoHandler>();
  std::unique_ptr<HttpServer> server;
  Fixture() {
    HttpServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    auto h = handler;
    auto s = HttpServer::Start(o, [h](HttpRequest request, Responder respond) {
      if (request.path != "/ws") return respond(HttpResponse::Error(404, "no"));
      HttpResponse r;
      r.websocket = h;
      r.websocket_max_message = 1024;
      respond(std::move(r));
    });
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) server = std::move(s).value();
  }
};

struct Client {
  net::io_context ioc;
  websocket::stream<net::ip::tcp::socket> ws{ioc};
  explicit Client(uint16_t port) {
    net::ip::tcp::endpoint at(net::ip::make_address("127.0.0.1"), port);
    ws.next_layer().connect(at);
    ws.handshake("127.0.0.1", "/ws");
  }
  std::pair<std::string, bool> Read() {
    beast::flat_buffer b;
    ws.read(b);
    return {beast::buffers_to_string(b.data()), ws.got_binary()};
  }
};

TEST(WebSocketTest, MessagesGoBothWaysInOrderAndACloseCarriesItsReason) {
  Fixture f;
  ASSERT_TRUE(f.server);
  Client c(f.server->port());
  c.ws.text(true);
  c.ws.write(net::buffer(std::string("one")));
  c.ws.binary(true);
  c.ws.write(net::buffer(std::string("t\0o", 3)));
  EXPECT_EQ(c.Read(), std::make_pair(std::string("echo:one"), false));
  EXPECT_EQ(c.Read(), std::make_pair(std::string("echo:t\0o", 8), true));
  c.ws.text(true);
  c.ws.write(net::buffer(std::string("bye")));
  beast::flat_buffer b;
  beast::error_code ec;
  c.ws.read(b, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(c.ws.reason().code, 1000);
  EXPECT_EQ(std::string(c.ws.reason().reason.c_str()), "as asked");
  EXPECT_TRUE(HasSubstr(f.handler->WaitClosed(), "as asked"));
}

TEST(WebSocketTest, AMessageOverTheLimitClosesTheSocket) {
  Fixture f;
  ASSERT_TRUE(f.server);
  Client c(f.server->port());
  c.ws.write(net::buffer(std::string(4096, 'x')));
  beast::flat_buffer b;
  beast::error_code ec;
  c.ws.read(b, ec);
  EXPECT_TRUE(ec);
  EXPECT_TRUE(HasSubstr(f.handler->WaitClosed(), "larger than 1024 bytes"));
  // The server goes on: another client is served.
  Client again(f.server->port());
  again.ws.write(net::buffer(std::string("x")));
  EXPECT_EQ(again.Read().first, "echo:x");
}

TEST(WebSocketTest, APlainRequestToAWebSocketRouteIs426) {
  Fixture f;
  ASSERT_TRUE(f.server);
  test_util::HttpTestClient client(f.server->port());
  ASSERT_TRUE(client.Send(test_util::HttpRequestText("GET", "/ws", "")));
  test_util::HttpReply r = client.Read();
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.Header("upgrade"), "websocket");
}

TEST(WebSocketTest, StoppingTheServerClosesOpenSockets) {
  Fixture f;
  ASSERT_TRUE(f.server);
  Client c(f.server->port());
  c.ws.write(net::buffer(std::string("x")));
  EXPECT_EQ(c.Read().first, "echo:x");
  EXPECT_EQ(f.server->open_connections(), 1);
  f.server->Stop(1);
  EXPECT_FALSE(f.handler->WaitClosed().empty());
  beast::flat_buffer b;
  beast::error_code ec;
  c.ws.read(b, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(f.server->open_connections(), 0);
}

}  // namespace
}  // namespace ipfs_accelerate::server
