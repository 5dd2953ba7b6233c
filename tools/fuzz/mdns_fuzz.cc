// Fuzzes the DNS message parser that reads every mDNS packet on the local network: any bytes give
// a message or an error, never a crash; what parses encodes (when its names and data are
// writable) and reads back the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "net/dns_message.h"

namespace {

using namespace ipfs_accelerate::net;

void Require(bool ok, const char* what, size_t size) {
  if (ok) return;
  std::fprintf(stderr, "mDNS round trip failed: %s (input of %zu bytes)\n", what, size);
  std::abort();
}

bool SameRecords(const std::vector<DnsRecord>& a, const std::vector<DnsRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const DnsRecord &x = a[i], &y = b[i];
    if (x.name != y.name || x.type != y.type || x.ttl != y.ttl || x.cache_flush != y.cache_flush ||
        x.target != y.target || x.port != y.port || x.address != y.address || x.rdata != y.rdata) {
      return false;
    }
    // An empty TXT record is written as one empty string, which reads back as none.
    if (x.txt != y.txt) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = ParseDnsMessage(std::span<const uint8_t>(data, size));
  if (!m.ok()) return 0;
  auto packet = EncodeDnsMessage(*m);
  // Names with empty labels inside ("a..b" through escapes) cannot be written back: an error.
  if (!packet.ok()) return 0;
  auto again = ParseDnsMessage(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(packet->data()), packet->size()));
  Require(again.ok(), "an encoded message does not parse", size);
  Require(again->questions.size() == m->questions.size(), "question count", size);
  for (size_t i = 0; i < m->questions.size(); ++i) {
    Require(again->questions[i].name == m->questions[i].name &&
                again->questions[i].type == m->questions[i].type,
            "question", size);
  }
  Require(SameRecords(again->answers, m->answers) &&
              SameRecords(again->authorities, m->authorities) &&
              SameRecords(again->additionals, m->additionals),
          "records", size);
  return 0;
}
