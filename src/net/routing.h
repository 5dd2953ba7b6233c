// Delegated Routing V1 HTTP API (specs.ipfs.tech/routing/http-routing-v1): provider records, their
// JSON and NDJSON bodies, and a client of GET /routing/v1/providers/{cid}. Bodies come from other
// programs: parsing is bounded and checks what we use; a bad record is reported and skipped, never
// fatal to the others and never a crash.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/cid.h"

namespace ipfs_accelerate::net {

// The transfer protocol of a trustless gateway (multicodec table), in a record's Protocols.
inline constexpr char kGatewayProtocol[] = "transport-ipfs-gateway-http";
// Bounds on what a router may send us; more records are dropped (and said so), a larger body is
// refused as it arrives.
inline constexpr size_t kMaxProviderRecords = 1000;
inline constexpr size_t kMaxRecordAddrs = 64;
inline constexpr size_t kMaxRoutingBodyBytes = size_t{4} << 20;
// The spec: JSON answers SHOULD hold at most 100 records.
inline constexpr size_t kMaxJsonProviders = 100;

inline constexpr char kJsonType[] = "application/json";
inline constexpr char kNdjsonType[] = "application/x-ndjson";

// A "peer" schema record (legacy "bitswap" and "graphsync-filecoinv1" records read as one).
struct ProviderRecord {
  std::string schema = "peer";
  std::string id;                      // PeerID text, as sent (checked with ParsePeerId)
  std::vector<std::string> addrs;      // multiaddr text, as sent (checked when used)
  std::vector<std::string> protocols;  // e.g. transport-ipfs-gateway-http, transport-bitswap

  // {"Schema", "ID", "Addrs", "Protocols"} as the spec writes a record.
  nlohmann::json ToJson() const;
};

struct ProvidersAnswer {
  std::vector<ProviderRecord> records;  // in the order sent
  // One line per record that was refused ("record 3: ID …: why"), or per note on the answer
  // (records past kMaxProviderRecords dropped). Empty when everything was well-formed.
  std::vector<std::string> problems;
  size_t unknown_schema = 0;  // records of schemas we do not know, skipped as the spec says
};

// Parses a providers (or peers) answer: `content_type` application/x-ndjson reads one record per
// line; application/json reads {"Providers": [...]} (also "Peers"; null reads as none). A body
// that is no such answer at all (wrong Content-Type, not JSON, no list) is kInvalidArgument; a
// malformed record (not an object, no Schema, an ID that is no PeerID, Addrs or Protocols that
// are no list of strings) is left out and described in `problems`.
Result<ProvidersAnswer> ParseProviders(std::string_view body, std::string_view content_type);

// Bodies of a providers answer: {"Providers": [...]} (or {"Peers": [...]} with `list` "Peers"),
// and NDJSON, one record per line.
std::string EncodeProvidersJson(std::span<const ProviderRecord> records,
                                const std::string& list = "Providers");
std::string EncodeProvidersNdjson(std::span<const ProviderRecord> records);

// The trustless gateway URLs a record offers: each address that names an HTTP server (see
// GatewayUrlFromMultiaddr), in order, without duplicates. Malformed addresses are described in
// `problems` (may be null); addresses of other transports are skipped quietly.
std::vector<std::string> GatewayUrls(const ProviderRecord& record,
                                     std::vector<std::string>* problems);

// Asks the router at `router_url` (http(s)://host:port[/prefix]) for providers of `cid`:
// GET {router}/routing/v1/providers/{cid as CIDv1} with Accept: application/x-ndjson,
// application/json. A 404 is an answer with no records (the spec says so). Errors name the
// router: kIoError / kDeadlineExceeded when it cannot be reached in `timeout`, kInvalidArgument for
// a 422 or a body that is no providers answer, kIoError for another status.
Result<ProvidersAnswer> FindProviders(const std::string& router_url, const store::Cid& cid,
                                      std::chrono::milliseconds timeout);

}  // namespace ipfs_accelerate::net
