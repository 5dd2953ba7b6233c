// Fetching a whole DAG from remote sources. FetchDag first walks what is stored here, then asks
// for each missing subtree as one streamed CAR (net/car_fetcher.h) from a source that serves
// them, and takes what is still missing after that (no source serves CARs, a stream broke,
// stalled or lied, a CAR lacked blocks, raw leaves missing on their own) block by block:
// FetchDagBlocks, a walk whose frontier is worked by `window` threads, each block taken from the
// local tier when it is there and else from the remote source expected to answer it soonest
// (RemoteBlockSource::ExpectedMs), retried with backoff on transient failures and elsewhere when
// a source lacks it or lies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "net/remote_source.h"
#include "net/source_chain.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::net {

struct DagFetchOptions {
  int window = 8;     // block requests in flight at once (threads), on the block-by-block path
  RetryPolicy retry;  // for each block
  bool cars = true;   // ask for missing subtrees as CARs first (FetchDag)
};

struct DagFetchProgress {
  uint64_t blocks = 0;          // blocks of the DAG done (present or fetched)
  uint64_t bytes = 0;           // their bytes
  uint64_t fetched_blocks = 0;  // of which came from a remote source (verified, then stored)
  uint64_t fetched_bytes = 0;
  std::string last_source;  // the URL of the source of the last fetched block
  uint64_t cars = 0;        // CAR streams asked for (FetchDag)
  // Times FetchDag fell back from a CAR (to another source, or block by block), and the last
  // reason; each is also logged as a warning.
  uint64_t car_fallbacks = 0;
  std::string last_fallback;
};

// Makes every block reachable from `root` present: asks `local` first (kNotFound: not here),
// then the `remote` sources; every remote block is verified (by the source) before `sink` gets
// it, and only then are its links followed. Each block once. Fails when a block is in no source
// (kNotFound), when every source that might have it failed or is down (the last error, each
// source's reason in the message), or on `cancel`; blocks put so far stay put. `progress` (may be
// empty) is called under a lock after each block, from any of the threads.
Status FetchDagBlocks(store::BlockSource& local, store::BlockSink& sink,
                      const std::vector<RemoteBlockSource*>& remote, const store::Cid& root,
                      const DagFetchOptions& options,
                      const std::function<void(const DagFetchProgress&)>& progress,
                      const CancelToken* cancel);

// As FetchDagBlocks, for everything reachable from any of `roots`; the progress counts on from
// `start`.
Status FetchDagBlocksFrom(store::BlockSource& local, store::BlockSink& sink,
                          const std::vector<RemoteBlockSource*>& remote,
                          const std::vector<store::Cid>& roots, const DagFetchOptions& options,
                          const DagFetchProgress& start,
                          const std::function<void(const DagFetchProgress&)>& progress,
                          const CancelToken* cancel);

// Makes every block reachable from `root` present, as FetchDagBlocks does (same errors, same
// verification, same progress), but walks the stored blocks first and asks for each missing
// subtree as one CAR (when options.cars) from the source expected to answer soonest among those
// that serve CARs; a source whose CAR fails for any reason is asked for no more CARs in this
// fetch, and what is missing goes to the next one, then block by block. Blocks stored here are
// never asked for again, so a fetch stopped part way resumes where it stopped. `progress` is
// called from one thread at a time.
Status FetchDag(store::BlockSource& local, store::BlockSink& sink,
                const std::vector<RemoteBlockSource*>& remote, const store::Cid& root,
                const DagFetchOptions& options,
                const std::function<void(const DagFetchProgress&)>& progress,
                const CancelToken* cancel);

}  // namespace ipfs_accelerate::net
