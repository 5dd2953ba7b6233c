// Finding ipfs-accelerate nodes on the local network with multicast DNS service discovery
// (RFC 6762 and 6763), as printers and AirPlay speakers are found: each node announces the
// service "_ipfs-accelerate._tcp.local" — an instance named by its PeerID, an SRV record with its
// HTTP port, a TXT record with its PeerID and scheme, an A record per interface — answers the
// queries for it, and says goodbye (TTL 0) when it stops. Any DNS-SD browser sees the nodes
// (`avahi-browse -r _ipfs-accelerate._tcp`, python-zeroconf), and this one sees nodes that any
// DNS-SD responder announces.
//
// Off unless asked for (serve --mdns / discovery.mdns): it sends multicast onto the networks of
// the interfaces it uses. IPv4 only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "net/dns_message.h"

namespace ipfs_accelerate::net {

inline constexpr char kMdnsServiceType[] = "_ipfs-accelerate._tcp.local";
inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr char kMdnsGroup[] = "224.0.0.251";
// At most this many nodes are remembered; announcements of more are ignored (a flood of them
// cannot grow memory without bound).
inline constexpr size_t kMaxMdnsPeers = 256;

// What this node announces.
struct MdnsAnnouncement {
  std::string peer_id;  // the instance name and the TXT "id"
  uint16_t port = 0;    // the HTTP port
  bool tls = false;     // TXT "scheme=https"
};

// A node seen on the network.
struct MdnsPeer {
  std::string instance;  // "12D3KooW…._ipfs-accelerate._tcp.local"
  std::string peer_id;   // TXT "id" ("" when the responder sent none)
  std::string address;   // IPv4 address from its A record (or the packet's source)
  uint16_t port = 0;
  bool tls = false;
  std::chrono::steady_clock::time_point expires;

  // "http://ADDRESS:PORT" (https with TLS).
  std::string Url() const;
};

struct MdnsOptions {
  std::optional<MdnsAnnouncement> announce;  // none: only look for others
  // IPv4 addresses of the interfaces to use; empty: every interface that is up, is no loopback
  // and can multicast.
  std::vector<std::string> interfaces;
  // Queries go out at 1, 2, 4, … seconds after the start, then every this many seconds (nodes
  // also announce themselves when they start, so queries only catch what was missed).
  double max_query_interval_s = 60;
  uint32_t ttl_s = 120;  // how long others may keep our records
  std::string service = kMdnsServiceType;
};

// The IPv4 interfaces that MdnsOptions::interfaces defaults to: {address, interface index}.
std::vector<std::pair<std::string, unsigned>> MulticastInterfaces();

class MdnsNode {
 public:
  // Joins the mDNS group on the interfaces, announces (when asked) and starts looking.
  // kUnavailable when no interface can multicast or the socket cannot be set up (the message
  // says why: no such interface, port 5353 taken without SO_REUSEPORT, …).
  static Result<std::unique_ptr<MdnsNode>> Start(MdnsOptions options);
  // Says goodbye (our records with TTL 0) and stops.
  ~MdnsNode();
  MdnsNode(const MdnsNode&) = delete;
  MdnsNode& operator=(const MdnsNode&) = delete;

  // The nodes seen whose records have not expired and that have not said goodbye, without this
  // one; each with an address and a port. Thread-safe.
  std::vector<MdnsPeer> Peers() const;

 private:
  struct Interface {
    std::string address;
    unsigned index = 0;
  };
  MdnsNode(MdnsOptions options, int fd, int wake_fd, std::vector<Interface> interfaces);
  void Loop();
  void Handle(const DnsMessage& m, const std::string& source, unsigned ifindex);
  // Our records as seen through the interface `i` (its A record).
  std::vector<DnsRecord> Records(const Interface& i, uint32_t ttl) const;
  void Send(const DnsMessage& m, const Interface& i);
  void Announce(uint32_t ttl);
  void Query();
  std::string InstanceName() const;
  std::string HostName() const;

  const MdnsOptions options_;
  const int fd_, wake_fd_;
  const std::vector<Interface> interfaces_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  // What is known of each instance; a node is a peer once it has an SRV and an address.
  struct Seen {
    std::string host, peer_id, source;
    uint16_t port = 0;
    bool tls = false, has_srv = false;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Seen> seen_;  // by instance name, lowercase
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>>
      hosts_;  // host name (lowercase) → IPv4 address and expiry
  std::thread thread_;
};

}  // namespace ipfs_accelerate::net
