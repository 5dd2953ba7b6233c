// DNS messages as multicast DNS (RFC 6762) and DNS-based service discovery (RFC 6763) use them:
// questions and the PTR, SRV, TXT, A and AAAA records a service announcement is made of. Packets
// come from any program on the local network: parsing is bounded by the packet (compression
// pointers only point backwards, names are at most 255 bytes) and never crashes; records of
// other types are kept as raw bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::net {

enum class DnsType : uint16_t { kA = 1, kPtr = 12, kTxt = 16, kAaaa = 28, kSrv = 33, kAny = 255 };
inline constexpr uint16_t kDnsClassIn = 1;
// mDNS packets are at most 9000 bytes (RFC 6762 §17); bigger ones are refused.
inline constexpr size_t kMaxDnsMessageBytes = 9000;

struct DnsQuestion {
  std::string name;  // "_ipfs-accelerate._tcp.local", without the trailing dot
  uint16_t type = 0;
  bool unicast_response = false;  // the QU bit (top bit of the class)
};

struct DnsRecord {
  std::string name;
  uint16_t type = 0;
  bool cache_flush = false;  // the top bit of the class: this record replaces older ones
  uint32_t ttl = 0;          // seconds; 0 says goodbye (the record is withdrawn)
  std::string target;        // PTR: the name pointed to; SRV: the host
  uint16_t priority = 0, weight = 0, port = 0;  // SRV
  std::vector<std::string> txt;                 // TXT: the strings ("key=value")
  std::string address;  // A/AAAA: the address as text ("10.0.0.1", "fe80::1")
  std::string rdata;    // other types: the bytes as sent
};

struct DnsMessage {
  uint16_t id = 0;
  uint16_t flags = 0;  // 0x8400 for an authoritative response, 0 for a query
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers, authorities, additionals;

  bool is_response() const { return (flags & 0x8000) != 0; }
};

// Reads one message. kInvalidArgument naming what is wrong (a truncated record, a name that
// loops or runs past 255 bytes, an A record that is not 4 bytes, …).
Result<DnsMessage> ParseDnsMessage(std::span<const uint8_t> packet);
// Writes `message` (names uncompressed). kInvalidArgument for a name with an empty or over-long
// label, a TXT string over 255 bytes, an address that does not parse, or a message over
// kMaxDnsMessageBytes.
Result<std::string> EncodeDnsMessage(const DnsMessage& message);

// Whether two names are the same (DNS compares ASCII letters case-insensitively).
bool DnsNameEquals(std::string_view a, std::string_view b);

}  // namespace ipfs_accelerate::net
