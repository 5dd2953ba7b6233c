#include "net/mdns.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace ipfs_accelerate::net {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool EndsWithName(const std::string& name, const std::string& suffix) {
  return name.size() > suffix.size() + 1 && name[name.size() - suffix.size() - 1] == '.' &&
         DnsNameEquals(std::string_view(name).substr(name.size() - suffix.size()), suffix);
}

Status Errno(const std::string& what) {
  return Status::Unavailable("mDNS: " + what + ": " + std::strerror(errno));
}

constexpr uint16_t kType(DnsType t) { return static_cast<uint16_t>(t); }

}  // namespace

std::string MdnsPeer::Url() const {
  return std::string(tls ? "https" : "http") + "://" + address + ":" + std::to_string(port);
}

std::vector<std::pair<std::string, unsigned>> MulticastInterfaces() {
  std::vector<std::pair<std::string, unsigned>> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    if (!(a->ifa_flags & IFF_UP) || !(a->ifa_flags & IFF_MULTICAST) ||
        (a->ifa_flags & IFF_LOOPBACK)) {
      continue;
    }
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    out.emplace_back(text, if_nametoindex(a->ifa_name));
  }
  freeifaddrs(list);
  return out;
}

Result<std::unique_ptr<MdnsNode>> MdnsNode::Start(MdnsOptions options) {
  // The interfaces: those asked for (each must exist here), else every one that can multicast.
  std::vector<Interface> interfaces;
  std::vector<std::pair<std::string, unsigned>> all = MulticastInterfaces();
  if (options.interfaces.empty()) {
    for (auto& [address, index] : all) interfaces.push_back({address, index});
    if (interfaces.empty()) {
      return Status::Unavailable(
          "mDNS: no network interface is up, multicast-capable and not loopback; name one with "
          "discovery.mdns_interfaces or listen on its address");
    }
  }
  for (const std::string& want : options.interfaces) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& a) { return a.first == want; });
    if (it == all.end()) {
      return Status::Unavailable("mDNS: no multicast-capable interface has the address " + want +
                                 " (see `ip addr`: it must be up, not loopback, with MULTICAST)");
    }
    interfaces.push_back({it->first, it->second});
  }
  if (options.announce && options.announce->peer_id.empty()) {
    return Status::InvalidArgument("mDNS: an announcement needs this node's PeerID");
  }

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  auto fail = [fd](const std::string& what) {
    Status s = Errno(what);
    close(fd);
    return s;
  };
  int one = 1, ttl = 255;
  // Other mDNS programs on this host (avahi-daemon, another node) share the port.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one) != 0) {
    return fail("setting up the socket");
  }
  sockaddr_in bind_addr{};
  bind_addr.sin_family = AF_INET;
  bind_addr.sin_port = htons(kMdnsPort);
  bind_addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<sockaddr*>(&bind_addr), sizeof bind_addr) != 0) {
    return fail("binding UDP port 5353 (another mDNS program holding it without SO_REUSEPORT?)");
  }
  for (const Interface& i : interfaces) {
    ip_mreqn join{};
    inet_pton(AF_INET, kMdnsGroup, &join.imr_multiaddr);
    inet_pton(AF_INET, i.address.c_str(), &join.imr_address);
    join.imr_ifindex = static_cast<int>(i.index);
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join) != 0) {
      return fail("joining 224.0.0.251 on the interface of " + i.address);
    }
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return fail("eventfd");
  return std::unique_ptr<MdnsNode>(
      new MdnsNode(std::move(options), fd, wake, std::move(interfaces)));
}

MdnsNode::MdnsNode(MdnsOptions options, int fd, int wake_fd, std::vector<Interface> interfaces)
    : options_(std::move(options)), fd_(fd), wake_fd_(wake_fd), interfaces_(std::move(interfaces)) {
  thread_ = std::thread([this] { Loop(); });
}

MdnsNode::~MdnsNode() {
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();  // the loop says goodbye before it returns
  close(fd_);
  close(wake_fd_);
}

std::string MdnsNode::InstanceName() const {
  return options_.announce->peer_id + "." + options_.service;
}

std::string MdnsNode::HostName() const {
  return "ia-" + Lower(options_.announce->peer_id) + ".local";
}

std::vector<DnsRecord> MdnsNode::Records(const Interface& i, uint32_t ttl) const {
  const MdnsAnnouncement& a = *options_.announce;
  std::vector<DnsRecord> out;
  out.push_back({.name = options_.service,
                 .type = kType(DnsType::kPtr),
                 .ttl = ttl,
                 .target = InstanceName()});
  out.push_back({.name = InstanceName(),
                 .type = kType(DnsType::kSrv),
                 .cache_flush = true,
                 .ttl = ttl,
                 .target = HostName(),
                 .port = a.port});
  out.push_back({.name = InstanceName(),
                 .type = kType(DnsType::kTxt),
                 .cache_flush = true,
                 .ttl = ttl,
                 .txt = {"id=" + a.peer_id, std::string("scheme=") + (a.tls ? "https" : "http")}});
  out.push_back({.name = HostName(),
                 .type = kType(DnsType::kA),
                 .cache_flush = true,
                 .ttl = ttl,
                 .address = i.address});
  return out;
}

void MdnsNode::Send(const DnsMessage& m, const Interface& i) {
  auto packet = EncodeDnsMessage(m);
  if (!packet.ok()) {
    Log(LogLevel::kWarning, "mDNS: " + packet.status().message());
    return;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kMdnsPort);
  inet_pton(AF_INET, kMdnsGroup, &to.sin_addr);
  // The interface goes with the packet (IP_PKTINFO), so one socket sends on each in turn.
  char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
  iovec iov{packet->data(), packet->size()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_ifindex = static_cast<int>(i.index);
  inet_pton(AF_INET, i.address.c_str(), &info.ipi_spec_dst);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
  if (sendmsg(fd_, &msg, 0) < 0) {
    Log(LogLevel::kDebug, "mDNS: sending on " + i.address + ": " + std::strerror(errno));
  }
}

void MdnsNode::Announce(uint32_t ttl) {
  if (!options_.announce) return;
  for (const Interface& i : interfaces_) {
    DnsMessage m{.flags = 0x8400};
    m.answers = Records(i, ttl);
    Send(m, i);
  }
}

void MdnsNode::Query() {
  DnsMessage m;
  m.questions.push_back({.name = options_.service, .type = kType(DnsType::kPtr)});
  for (const Interface& i : interfaces_) Send(m, i);
}

void MdnsNode::Loop() {
  auto now = Clock::now();
  auto next_query = now;
  double query_gap_s = 1;
  int announcements_left = options_.announce ? 2 : 0;  // RFC 6762 §8.3: at least two, 1 s apart
  auto next_announce = now;
  uint8_t buffer[kMaxDnsMessageBytes + 1];
  while (!stop_) {
    now = Clock::now();
    if (announcements_left > 0 && now >= next_announce) {
      Announce(options_.ttl_s);
      --announcements_left;
      next_announce = now + std::chrono::seconds(1);
    }
    if (now >= next_query) {
      Query();
      next_query = now + std::chrono::milliseconds(static_cast<int64_t>(query_gap_s * 1000));
      query_gap_s = std::min(query_gap_s * 2, options_.max_query_interval_s);
    }
    auto wake_at = next_query;
    if (announcements_left > 0) wake_at = std::min(wake_at, next_announce);
    int timeout_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count(), 0, 1000));
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) <= 0 || !(fds[0].revents & POLLIN)) continue;

    sockaddr_in from{};
    char control[CMSG_SPACE(sizeof(in_pktinfo))];
    iovec iov{buffer, sizeof buffer};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n <= 0 || (msg.msg_flags & MSG_TRUNC)) continue;
    unsigned ifindex = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        ifindex = static_cast<unsigned>(info.ipi_ifindex);
      }
    }
    // Only what arrives on the interfaces we joined on, from the mDNS port (legacy one-shot
    // queries from other ports are not answered).
    if (ntohs(from.sin_port) != kMdnsPort) continue;
    auto m = ParseDnsMessage({buffer, static_cast<size_t>(n)});
    if (!m.ok()) {
      Log(LogLevel::kDebug, "mDNS: ignoring a packet: " + m.status().message());
      continue;
    }
    char source[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &from.sin_addr, source, sizeof source);
    Handle(*m, source, ifindex);
  }
  Announce(0);  // goodbye: our records withdrawn
}

void MdnsNode::Handle(const DnsMessage& m, const std::string& source, unsigned ifindex) {
  auto in = std::find_if(interfaces_.begin(), interfaces_.end(),
                         [&](const Interface& i) { return i.index == ifindex; });
  if (in == interfaces_.end()) return;
  const std::string self = options_.announce ? Lower(InstanceName()) : "";

  if (!m.is_response()) {
    if (!options_.announce) return;
    bool asked = false;
    for (const DnsQuestion& q : m.questions) {
      const bool any = q.type == kType(DnsType::kAny);
      asked |= DnsNameEquals(q.name, options_.service) && (any || q.type == kType(DnsType::kPtr));
      asked |= DnsNameEquals(q.name, InstanceName()) &&
               (any || q.type == kType(DnsType::kSrv) || q.type == kType(DnsType::kTxt));
      asked |= DnsNameEquals(q.name, HostName()) && (any || q.type == kType(DnsType::kA));
    }
    if (asked) {
      DnsMessage answer{.flags = 0x8400};
      answer.answers = Records(*in, options_.ttl_s);
      Send(answer, *in);
    }
    return;
  }

  const auto now = Clock::now();
  std::vector<std::string> unresolved;
  std::unique_lock<std::mutex> lock(mu_);
  // An entry for `instance` (nullptr for ourselves, or when kMaxMdnsPeers are known).
  auto entry = [&](const std::string& name) -> Seen* {
    std::string key = Lower(name);
    if (key == self) return nullptr;
    auto it = seen_.find(key);
    if (it != seen_.end()) return &it->second;
    if (seen_.size() >= kMaxMdnsPeers) return nullptr;
    Seen& s = seen_[key];
    s.source = source;
    return &s;
  };
  for (const auto* section : {&m.answers, &m.additionals}) {
    for (const DnsRecord& r : *section) {
      const auto expires = now + std::chrono::seconds(r.ttl);
      if (r.type == kType(DnsType::kPtr) && DnsNameEquals(r.name, options_.service)) {
        if (r.ttl == 0) {
          seen_.erase(Lower(r.target));
        } else if (Seen* s = entry(r.target)) {
          s->expires = std::max(s->expires, expires);
          if (!s->has_srv) unresolved.push_back(r.target);
        }
      } else if (r.type == kType(DnsType::kSrv) && EndsWithName(r.name, options_.service)) {
        if (r.ttl == 0) {
          seen_.erase(Lower(r.name));
        } else if (Seen* s = entry(r.name)) {
          s->host = Lower(r.target), s->port = r.port, s->has_srv = true;
          s->expires = std::max(s->expires, expires);
          s->source = source;
        }
      } else if (r.type == kType(DnsType::kTxt) && EndsWithName(r.name, options_.service)) {
        auto it = seen_.find(Lower(r.name));
        if (it == seen_.end()) continue;
        for (const std::string& kv : r.txt) {
          if (kv.rfind("id=", 0) == 0) it->second.peer_id = kv.substr(3);
          if (kv.rfind("scheme=", 0) == 0) it->second.tls = kv == "scheme=https";
        }
      } else if (r.type == kType(DnsType::kA)) {
        if (r.ttl == 0) {
          hosts_.erase(Lower(r.name));
        } else if (hosts_.size() < 4 * kMaxMdnsPeers || hosts_.count(Lower(r.name))) {
          hosts_[Lower(r.name)] = {r.address, expires};
        }
      }
    }
  }
  std::erase_if(seen_, [&](const auto& kv) { return kv.second.expires < now; });
  std::erase_if(hosts_, [&](const auto& kv) { return kv.second.second < now; });
  std::erase_if(unresolved, [&](const std::string& name) {
    auto it = seen_.find(Lower(name));
    return it == seen_.end() || it->second.has_srv;
  });
  lock.unlock();
  if (!unresolved.empty()) {
    // A PTR without its SRV and TXT: ask for them.
    DnsMessage q;
    for (const std::string& name : unresolved) {
      q.questions.push_back({.name = name, .type = kType(DnsType::kSrv)});
      q.questions.push_back({.name = name, .type = kType(DnsType::kTxt)});
    }
    Send(q, *in);
  }
}

std::vector<MdnsPeer> MdnsNode::Peers() const {
  const auto now = Clock::now();
  std::vector<MdnsPeer> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [instance, s] : seen_) {
    if (!s.has_srv || s.port == 0 || s.expires < now) continue;
    MdnsPeer p{.instance = instance,
               .peer_id = s.peer_id,
               .address = s.source,
               .port = s.port,
               .tls = s.tls,
               .expires = s.expires};
    if (auto it = hosts_.find(s.host); it != hosts_.end() && it->second.second >= now) {
      p.address = it->second.first;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace ipfs_accelerate::net
