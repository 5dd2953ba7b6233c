// The Delegated Routing V1 HTTP API's routes (specs.ipfs.tech/routing/http-routing-v1), answered
// from the router's ProviderDirectory: GET /routing/v1/providers/{cid} and /peers/{peer-id}, JSON
// or NDJSON (Accept: application/x-ndjson), CORS for browsers. Serializing only; who provides what
// is the directory's business.
#pragma once

#include <string>
#include <vector>

#include "router/providers.h"
#include "server/http_server.h"

namespace ipfs_accelerate::server {

// The answer to a request whose path is /routing/… (`segments`: its path split at '/').
//  - GET providers/{cid}: 200 with the providers, 404 when there are none, 422 for a bad CID;
//    optional ?filter-protocols= (IPIP-484).
//  - GET peers/{peer-id}: 200 with the node's record, 404 when unknown, 422 for a bad PeerID.
//  - OPTIONS on any of them: the CORS preflight (204, Allow-Methods GET, OPTIONS).
//  - other methods: 405 with Allow; the spec's other endpoints (ipns, dht): 501; other paths: 400.
// Every answer carries Access-Control-Allow-Origin: *. `directory` null: every path is 501.
HttpResponse RoutingResponse(const HttpRequest& request, const std::vector<std::string>& segments,
                             const router::ProviderDirectory* directory);

}  // namespace ipfs_accelerate::server
