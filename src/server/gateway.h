// The Trustless Gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/) over the
// repository, read-only: GET and HEAD /ipfs/{cid} as a raw block (application/vnd.ipld.raw) or
// a CAR (application/vnd.ipld.car; dag-scope, entity-bytes, car-dups; order dfs), every block
// verified on the way out, the bafkqaaa probe, 304 for a matching If-None-Match. It never fetches
// from elsewhere: a root block that is not stored is 404 (412 with Cache-Control: only-if-cached).
#pragma once

#include <string>
#include <vector>

#include "server/http_server.h"

namespace ipfs_accelerate::server {

// Answers `request` (GET or HEAD) whose path split at '/' is `segments` ("ipfs", cid, …), from
// the repository at `repo_path` ("" for none).
HttpResponse ServeGateway(const HttpRequest& request, const std::vector<std::string>& segments,
                          const std::string& repo_path);

}  // namespace ipfs_accelerate::server
