// Accepting and stopping: the listener, the io threads, max_connections, and the graceful Stop.
// Each accepted socket becomes a Connection (http_connection.cc), kept in a registry of weak
// pointers that Stop walks.
#include "server/http_server.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <filesystem>
#include <optional>
#include <thread>

#include "server/http_connection.h"

namespace ipfs_accelerate::server {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using detail::Connection;
using detail::Seconds;
using detail::Shared;
using tcp = net::ip::tcp;

}  // namespace

namespace {

std::string EndpointText(const tcp::endpoint& endpoint) {
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

Result<net::ip::address> ParseHost(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return net::ip::make_address("127.0.0.1");
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    return Status::InvalidArgument("host '" + host +
                                   "' is no IPv4 or IPv6 address (use e.g. 127.0.0.1, ::1, "
                                   "0.0.0.0 or ::)");
  }
  return address;
}

Result<std::unique_ptr<ssl::context>> LoadTls(const HttpServerOptions& options) {
  const std::string& cert = options.tls_cert_file;
  const std::string& key = options.tls_key_file;
  if (cert.empty() && key.empty()) return std::unique_ptr<ssl::context>();
  if (cert.empty() || key.empty()) {
    return Status::InvalidArgument(
        std::string("HTTPS needs both a certificate and a private key file; only the ") +
        (cert.empty() ? "key ('" + key + "')" : "certificate ('" + cert + "')") + " is given");
  }
  for (const auto& [what, path] : {std::pair{"certificate", cert}, std::pair{"private key", key}}) {
    std::error_code exists_ec;
    if (!std::filesystem::is_regular_file(path, exists_ec)) {
      return Status::InvalidArgument(std::string("TLS ") + what + " file '" + path +
                                     "' does not exist or is no regular file");
    }
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain_file(cert, ec);
  if (ec) {
    return Status::InvalidArgument("cannot load the TLS certificate chain from '" + cert +
                                   "': " + ec.message() + " (a PEM file is expected)");
  }
  context->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidArgument("cannot load the TLS private key from '" + key +
                                   "': " + ec.message() + " (an unencrypted PEM file is expected)");
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Status::InvalidArgument("the TLS private key '" + key +
                                   "' does not belong to the certificate '" + cert + "'");
  }
  return context;
}

// Over max_connections: a short 503 if the socket takes it at once (plain HTTP only), then close.
void RefuseBusy(tcp::socket& socket, bool tls, int limit) {
  if (!tls) {
    std::string body = "{\"error\":\"the server is at its limit of " + std::to_string(limit) +
                       " open connections; try again later\"}";
    std::string reply =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
    (void)!::send(socket.native_handle(), reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(int threads) : ioc(threads) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors and the like: try again shortly instead of spinning.
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](beast::error_code ec) {
          if (!ec) Accept();
        });
        return;
      }
      OnAccept(std::move(socket));
      Accept();
    });
  }

  void OnAccept(tcp::socket socket) {
    Shared& sh = *shared;
    bool tls = sh.tls != nullptr;
    if (sh.stopping || sh.open.load() >= sh.options.max_connections) {
      return RefuseBusy(socket, tls || sh.stopping, sh.options.max_connections);
    }
    sh.open.fetch_add(1);
    beast::error_code ec;
    tcp::endpoint remote = socket.remote_endpoint(ec);
    socket.set_option(tcp::no_delay(true), ec);
    auto connection =
        detail::MakeConnection(shared, std::move(socket), ec ? "" : EndpointText(remote));
    net::dispatch(connection->executor(), [connection] { connection->Start(); });
  }

  std::vector<std::shared_ptr<Connection>> Connections() {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard lock(shared->conns_mu);
    for (auto& [id, weak] : shared->conns) {
      if (auto connection = weak.lock()) out.push_back(std::move(connection));
    }
    return out;
  }

  // Declared in the order they must be built; destroyed in reverse (handlers still queued in the
  // io_context hold connections, which hold `shared`).
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex stop_mu;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(0); }

uint16_t HttpServer::port() const { return impl_->port; }

int HttpServer::open_connections() const { return impl_->shared->open.load(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Handler handler) {
  if (!handler) return Status::InvalidArgument("HttpServer::Start needs a handler");
  if (options.max_connections < 1) {
    return Status::InvalidArgument("max_connections must be at least 1, not " +
                                   std::to_string(options.max_connections));
  }
  options.io_threads = std::max(options.io_threads, 1);
  auto impl = std::make_unique<Impl>(options.io_threads);
  IA_ASSIGN_OR_RETURN(impl->shared->tls, LoadTls(options));
  IA_ASSIGN_OR_RETURN(net::ip::address address, ParseHost(options.host));
  tcp::endpoint endpoint(address, options.port);
  std::string where = EndpointText(endpoint);
  beast::error_code ec;
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (ec == net::error::address_in_use) {
    return Status::Busy("cannot listen on " + where +
                        ": the address is in use (is another server running? pick another port)");
  }
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  impl->shared->options = std::move(options);
  impl->shared->handler = std::move(handler);
  impl->work.emplace(net::make_work_guard(impl->ioc));
  impl->Accept();
  for (int i = 0; i < impl->shared->options.io_threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (...) {
          // A handler threw past its own guard; the connection it served is lost, not the rest.
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop(double grace_s) {
  Impl& m = *impl_;
  std::lock_guard stop_lock(m.stop_mu);
  if (m.stopped) return;
  m.stopped = true;
  Shared& sh = *m.shared;
  sh.stopping = true;
  net::post(m.acceptor.get_executor(), [&m] {
    beast::error_code ec;
    m.acceptor.close(ec);
    m.accept_retry.cancel();
  });
  for (auto& connection : m.Connections()) {
    net::post(connection->executor(), [connection] { connection->BeginStop(); });
  }
  {
    std::unique_lock lock(sh.flight_mu);
    sh.flight_cv.wait_for(lock, Seconds(grace_s), [&sh] { return sh.in_flight == 0; });
  }
  m.work.reset();
  m.ioc.stop();
  for (auto& thread : m.threads) thread.join();
  m.threads.clear();
  {
    std::lock_guard lock(sh.post_mu);
    sh.posts_open = false;
  }
  // No io thread runs any more: what is left is closed from here.
  beast::error_code ec;
  m.acceptor.close(ec);
  for (auto& connection : m.Connections()) connection->CloseNow();
}

}  // namespace ipfs_accelerate::server
