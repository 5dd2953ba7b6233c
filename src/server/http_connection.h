// Internal to the server room: one HTTP connection's life, and the state it shares with the
// server (options, handler, counters, the registry Stop walks). http_server.cc accepts and stops;
// http_connection.cc serves.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/http_server.h"

namespace ipfs_accelerate::server::detail {

// `s` seconds as a steady_clock duration (negative: zero).
inline std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s > 0 ? s : 0.0));
}

class Connection {
 public:
  virtual ~Connection() = default;
  // From the acceptor: makes the connection reachable by Stop.
  virtual void Register() = 0;
  // On the connection's strand: serves requests until the connection closes.
  virtual void Start() = 0;
  // On the connection's strand: closes a connection that is between requests or reading one.
  virtual void BeginStop() = 0;
  // Closes the socket and drops the self-reference; on the strand, or with the io threads gone.
  virtual void CloseNow() = 0;
  virtual boost::asio::any_io_executor executor() = 0;
};
// What connections and responders share with the server; outlives both.
struct Shared {
  HttpServerOptions options;
  Handler handler;
  std::unique_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  std::atomic<bool> stopping{false};
  std::atomic<int> open{0};
  // Responders post only while the io_context may still run what they post.
  std::mutex post_mu;
  bool posts_open = true;
  // Requests handed to the handler whose answer is not yet written.
  std::mutex flight_mu;
  std::condition_variable flight_cv;
  int in_flight = 0;
  // Every live connection, for Stop.
  std::mutex conns_mu;
  std::map<uint64_t, std::weak_ptr<Connection>> conns;
  uint64_t next_conn = 0;

  // Makes `c` reachable by Stop; the id to Unregister it with.
  uint64_t Register(std::weak_ptr<Connection> c) {
    std::lock_guard lock(conns_mu);
    conns[++next_conn] = std::move(c);
    return next_conn;
  }
  void Unregister(uint64_t id) {
    if (id == 0) return;
    std::lock_guard lock(conns_mu);
    conns.erase(id);
  }

  void FlightDone() {
    std::lock_guard lock(flight_mu);
    --in_flight;
    flight_cv.notify_all();
  }
};

// A connection over `socket` (TLS when shared->tls is set), registered with `shared`; Start it on
// its executor.
std::shared_ptr<Connection> MakeConnection(std::shared_ptr<Shared> shared,
                                           boost::asio::ip::tcp::socket socket, std::string remote);

}  // namespace ipfs_accelerate::server::detail
