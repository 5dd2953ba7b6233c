// Fetching a whole DAG from remote sources with many block requests in flight: a walk whose
// frontier is worked by `window` threads, each block taken from the local tier when it is there
// and else from the remote source expected to answer it soonest (RemoteBlockSource::ExpectedMs),
// retried with backoff on transient failures and elsewhere when a source lacks it or lies.
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
  int window = 8;     // block requests in flight at once (threads)
  RetryPolicy retry;  // for each block
};

struct DagFetchProgress {
  uint64_t blocks = 0;          // blocks of the DAG done (present or fetched)
  uint64_t bytes = 0;           // their bytes
  uint64_t fetched_blocks = 0;  // of which came from a remote source (verified, then stored)
  uint64_t fetched_bytes = 0;
  std::string last_source;  // the URL of the source of the last fetched block
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

}  // namespace ipfs_accelerate::net
