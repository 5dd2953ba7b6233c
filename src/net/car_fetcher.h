// Fetching a whole subtree of a DAG as one streamed CAR (trustless gateway, ?format=car&
// dag-scope=all&car-dups=n, order=dfs), parsed as the bytes arrive. Three stages run at once:
// the transfer and parsing (the calling thread, in libcurl's write callback), the checks
// (a verify thread: is the block expected, does it hash to its CID, what does it link to) and the
// writing (a store thread, through the sink). Bounded queues between them hold at most
// kCarQueueBytes each, so the body is never held whole.
//
// What is accepted: the root, then only CIDs linked from blocks already verified in this CAR
// (dag-pb and dag-cbor links), each verified by RemoteBlockSource::Verify. A block that is not
// expected or does not match its CID stops the stream: nothing of it is stored, the source is
// marked down, and what is still missing is returned for other sources.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "net/remote_source.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::net {

// What each queue between the stages may hold (parsed, not yet verified; verified, not yet
// stored).
inline constexpr uint64_t kCarQueueBytes = uint64_t{32} << 20;

struct CarFetchResult {
  uint64_t blocks = 0;  // verified and stored (through the sink) from this CAR
  uint64_t bytes = 0;   // (blocks `local` held already are not counted)
  // The roots of the subtrees still missing, in the order the walk met them: links of verified
  // blocks that the CAR did not bring (all of it: {root} when nothing came).
  std::vector<store::Cid> missing;
  // Why the CAR stopped early or came incomplete (Ok: a complete, well-formed stream; the CAR
  // may still lack blocks, listed in `missing`): the source's fault or limitation, for the
  // caller to fall back on another source or block requests.
  Status stream;
};

// Streams the CAR of the DAG below `root` from `source` into `sink`. A block `local` (may be
// null) already holds is checked like any other but not written again. `on_block` (may be empty)
// is called on the store thread after each block, with `fetched` false for one already held.
// Returns an error only for what another source would not cure: the sink failing (the disk) or
// `cancel`; everything about the source is in result->stream, with result->missing filled either
// way.
Status FetchCar(
    RemoteBlockSource& source, store::BlockSource* local, store::BlockSink& sink,
    const store::Cid& root,
    const std::function<void(const store::Cid&, uint64_t bytes, bool fetched)>& on_block,
    const CancelToken* cancel, CarFetchResult* result);

}  // namespace ipfs_accelerate::net
