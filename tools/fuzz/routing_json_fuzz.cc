// Fuzzes the Delegated Routing V1 answer parser: any bytes, read as a JSON and as an NDJSON
// providers answer, give records or an error, never a crash; what parses survives a round trip
// through both encodings; every address reads as a gateway URL or an error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/multiaddr.h"
#include "net/peer_id.h"
#include "net/routing.h"

namespace {

using namespace ipfs_accelerate::net;

void Require(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "routing round trip failed: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

bool Same(const std::vector<ProviderRecord>& a, const std::vector<ProviderRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].addrs != b[i].addrs || a[i].protocols != b[i].protocols) {
      return false;
    }
  }
  return true;
}

void Check(const ProvidersAnswer& answer, std::string_view input) {
  Require(answer.records.size() <= kMaxProviderRecords, "too many records", input);
  for (const ProviderRecord& r : answer.records) {
    Require(ParsePeerId(r.id).ok(), "a record kept with a bad ID", input);
    Require(r.addrs.size() <= kMaxRecordAddrs, "too many addresses", input);
    for (const std::string& addr : r.addrs) {
      auto url = GatewayUrlFromMultiaddr(addr);
      if (url.ok()) Require(url->rfind("http", 0) == 0, "a gateway URL that is not http", input);
    }
    (void)GatewayUrls(r, nullptr);
  }
  auto json = ParseProviders(EncodeProvidersJson(answer.records), kJsonType);
  Require(json.ok() && json->problems.empty() && Same(json->records, answer.records),
          "ParseProviders(EncodeProvidersJson)", input);
  auto ndjson = ParseProviders(EncodeProvidersNdjson(answer.records), kNdjsonType);
  Require(ndjson.ok() && ndjson->problems.empty() && Same(ndjson->records, answer.records),
          "ParseProviders(EncodeProvidersNdjson)", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* type : {kJsonType, kNdjsonType}) {
    auto answer = ParseProviders(text, type);
    if (answer.ok()) Check(*answer, text);
  }
  // The whole input as one address and as one PeerID.
  if (size <= 2048) {
    (void)GatewayUrlFromMultiaddr(text);
    (void)ParsePeerId(text);
  }
  return 0;
}
