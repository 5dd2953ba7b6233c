// Walking a DAG of blocks from a root, following dag-pb and dag-cbor links.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

// The CIDs a block links to: dag-pb and dag-cbor links; none for raw; kUnsupported for other
// codecs; kCorruption when the block does not decode.
Result<std::vector<Cid>> BlockLinks(const Cid& cid, const std::string& block);

// Visits every node reachable from `root` once (CidSet: by codec and multihash), depth first,
// parents before children, links in order (the order CAR writers use). Stops at the first error
// from the source or `visit`.
Status WalkDag(BlockSource& source, const Cid& root,
               const std::function<Status(const Cid&, const std::string& block)>& visit);

}  // namespace ipfs_accelerate::store
