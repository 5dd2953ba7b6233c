// Where a fetch looks for blocks the repository lacks, as the configuration says (the ipfs.* keys),
// and whether a command may fetch at all. One place turns a Config into a FetchRequest, so that
// `fetch`, `run`, `cat`, `get`, `serve` and Python ask the same sources.
#pragma once

#include <string>

#include "core/config.h"
#include "router/store_ops.h"

namespace ipfs_accelerate::router {

// A gateway URL as the sources want it: scheme, host, port and any prefix, without a trailing
// "/ipfs/" (the seed writes "http://localhost:8080/ipfs/") or trailing slashes.
std::string GatewayBaseUrl(std::string url);

// The sources of ipfs.local_node, ipfs.gateway (each through GatewayBaseUrl), ipfs.routers, with
// ipfs.timeout and ipfs.retry_count; the root is pinned once fetched.
FetchRequest FetchRequestFromConfig(const Config& config);

// What to do when a command is given a CID the repository does not hold.
struct MissPolicy {
  bool offline = false;  // never fetch: the CID is kNotFound, with how to fetch it
  FetchRequest request;  // else: fetch its DAG from these sources first
};

// FetchRequestFromConfig, offline when ipfs.offline is set or `offline_flag` (--offline) is given.
MissPolicy MissPolicyFromConfig(const Config& config, bool offline_flag);

}  // namespace ipfs_accelerate::router
