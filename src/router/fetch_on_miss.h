// Fetching on a miss: the one decision, for every front end (run, cat, get, serve, Python), of
// what happens when a command names a CID whose DAG the repository does not hold in full. Online
// (the default), the missing blocks are fetched from the configured sources, verified, stored and
// the root pinned, and the command goes on; offline, the command fails with how to fetch it.
#pragma once

#include <functional>
#include <string>

#include "core/cancel.h"
#include "core/status.h"
#include "router/fetch_config.h"
#include "router/store_ops.h"
#include "store/cid.h"
#include "store/repo.h"

namespace ipfs_accelerate::router {

using FetchProgressFn = std::function<void(const FetchProgress&)>;

// Whether every block of the DAG below `root` is in `repo`. A pinned root is complete by the
// pin's contract and answers at once; otherwise the stored nodes are read (raw leaves are only
// looked up, not read). kCorruption when a stored node does not decode.
Result<bool> DagIsStored(store::Repo& repo, const store::Cid& root);

// FetchDag from the sources of `request`, with errors that say what was asked: kInvalidArgument
// when `request` names no source; otherwise FetchDag's error (its code kept) naming every source
// and the configuration keys that set them.
Result<FetchProgress> FetchFromSources(store::Repo& repo, const store::Cid& root,
                                       const FetchRequest& request, const FetchProgressFn& progress,
                                       const CancelToken* cancel);

// Makes the whole DAG below `root` present in `repo`, as `policy` allows. When it is already
// there nothing is asked and the result is all zeros (blocks == 0). When it is not: offline,
// kNotFound saying so and how to fetch it; online, FetchFromSources (which pins the root when
// policy.request.pin), and its progress. `progress` and `cancel` may be empty/null.
Result<FetchProgress> EnsureLocal(store::Repo& repo, const store::Cid& root,
                                  const MissPolicy& policy, const FetchProgressFn& progress,
                                  const CancelToken* cancel);

// EnsureLocal for a reference as the commands take it (see ClassifyRef): for "CID[/path]" and
// "/ipfs/CID[/path]" in the repository chosen by `repo_flag`, the whole DAG below CID; a local
// path or an alias (a name given here, so for content stored here) asks for nothing.
Result<FetchProgress> EnsureRefLocal(const std::string& repo_flag, const std::string& ref,
                                     const MissPolicy& policy, const FetchProgressFn& progress,
                                     const CancelToken* cancel);

}  // namespace ipfs_accelerate::router
