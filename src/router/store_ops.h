// Putting content into the store the way every front end does it (cli `add`, `car import` and
// `fetch`, the server's uploads, Python's store_to_ipfs): import or fetch, make the blocks
// durable, pin the roots, point an alias at the last one. Nothing here knows about flags, stdout
// or HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "store/car.h"
#include "store/car_stream.h"
#include "store/cid.h"
#include "store/importer.h"
#include "store/repo.h"

namespace ipfs_accelerate::router {

struct AddRequest {
  store::ImportOptions options;    // profile, CID version, chunker, hidden files, symlinks
  std::vector<std::string> paths;  // files and directories, imported in this order
  // When >= 0, what can be read from this descriptor is imported as one file named `fd_name`
  // (its CID when empty) instead of `paths`.
  int fd = -1;
  std::string fd_name;
  bool recursive = false;  // directories in `paths` are walked (else they are an error)
  bool wrap = false;       // one directory over everything added becomes the only root
  bool pin = true;         // pin the roots (ignored without a repository)
  std::string alias;       // when not empty, this alias points at the last root afterwards
};

struct AddedEntry {
  std::string path;  // as `ipfs add` prints it: relative to the argument's parent; "" for -w
  store::Cid cid;
};

struct AddResult {
  std::vector<AddedEntry> entries;  // every file and directory added, children before parents
  std::vector<store::Cid> roots;    // one per path (or the fd), or the -w directory alone
};

// Imports `request` into `repo` (null: computes CIDs and stores nothing, as --only-hash), commits
// the blocks, then pins the roots and sets the alias. Nothing is pinned or aliased unless every
// input was imported and committed; `cancel` (may be null) is checked between inputs and before
// pinning, so a cancelled add leaves at most unpinned blocks that gc removes. `progress` (may be
// empty) gets the file bytes read so far, on this thread. Hashing runs on `pool`.
Result<AddResult> AddPaths(store::Repo* repo, const AddRequest& request, ThreadPool* pool,
                           const std::function<void(uint64_t)>& progress,
                           const CancelToken* cancel);

// Imports a CAR file from `in` into `repo` (every block verified; all or nothing) and pins its
// roots when `pin`. Returns the roots in the order the CAR header names them.
Result<std::vector<store::Cid>> ImportCarFile(store::ByteReader& in, store::Repo& repo, bool pin,
                                              const std::function<void(uint64_t)>& progress);

// Where FetchDag asks for the blocks the repository does not have.
struct FetchRequest {
  std::string local_node;             // a Kubo RPC API URL, asked first ("" = none)
  std::vector<std::string> gateways;  // trustless gateway URLs, asked in this order
  std::vector<std::string> routers;   // delegated routing v1 URLs asked for providers
  // For each block request; for a CAR, connecting and any stretch without bytes.
  std::chrono::milliseconds timeout{30000};
  int retries = 3;  // more tries of a block after a transient failure
  int window = 8;   // block requests in flight at once (what is not fetched as CARs)
  bool pin = true;  // pin the root once the whole DAG is stored
};

struct FetchProgress {
  uint64_t blocks = 0;          // blocks of the DAG visited so far
  uint64_t bytes = 0;           // their bytes
  uint64_t fetched_blocks = 0;  // of which came from a remote source (verified, then stored)
  uint64_t fetched_bytes = 0;
  std::string source;  // the URL the last fetched block came from
};

// Makes the whole DAG below `root` present in `repo` (net::FetchDag): walks what is stored, asks
// for each missing subtree as one streamed CAR from a gateway that serves them, and fetches what is
// still missing block by block with request.window requests in flight, each from the source of
// `request` expected to answer soonest. Every block is verified against its CID; a source that
// sends a wrong or unlinked block, or fails kMaxFailuresInARow times in a row, is dropped;
// transient failures are retried with backoff. Blocks are written as they arrive (each a
// temporary file, synced in batches, renamed into place: never half-visible) and the root is
// pinned only after the last sync (when request.pin). A fetch that stops (error, `cancel`,
// SIGKILL) keeps what was synced, and the next one re-verifies it and fetches only the rest.
// `progress` (may be empty) is called after each block, one call at a time.
Result<FetchProgress> FetchDag(store::Repo& repo, const store::Cid& root,
                               const FetchRequest& request,
                               const std::function<void(const FetchProgress&)>& progress,
                               const CancelToken* cancel);

// One block of the repository at `repo_path`, verified, for the gateway's raw block responses.
// kInvalidArgument for a malformed CID, kNotFound when the block is not stored. Identity CIDs
// give their bytes without a repository.
Result<std::string> ReadStoredBlock(const std::string& repo_path, const store::Cid& cid);

// A CAR of (part of) a DAG in a repository, for the gateway's CAR responses: every block verified
// as it is read. The repository stays open (shared, so gc waits) until the object is destroyed.
class StoredCar {
 public:
  // kNotFound when the root block is not stored (or `repo_path` is ""); kInvalidArgument for
  // entity-bytes entirely past the end of the file. Identity roots need no repository.
  static Result<std::unique_ptr<StoredCar>> Open(const std::string& repo_path,
                                                 const store::Cid& root,
                                                 const store::CarSelection& selection);
  // As store::CarStream::Next: the header, then a section per call; false at the end.
  Result<bool> Next(std::string* out) { return car_->Next(out); }

 private:
  StoredCar() = default;
  std::unique_ptr<store::BlockSource> source_;  // the repository (or none, for identity roots)
  std::unique_ptr<store::CarStream> car_;
};

}  // namespace ipfs_accelerate::router
