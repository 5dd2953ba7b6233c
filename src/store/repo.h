// The repository on disk: blocks, a memory cache in front of them, pins, aliases and GC.
//
//   REPO/version        format marker
//   REPO/repo.lock      shared by every user, exclusive for gc (which deletes blocks)
//   REPO/meta.lock      exclusive while pins.json or aliases.json is rewritten
//   REPO/blocks/        DiskBlockStore
//   REPO/pins.json      recursive pins
//   REPO/aliases.json   mutable names -> CIDs
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/status.h"
#include "store/block_cache.h"
#include "store/block_store.h"
#include "store/block_writer.h"
#include "store/disk_block_store.h"

namespace ipfs_accelerate::store {

struct GcStats {
  uint64_t blocks_removed = 0;
  uint64_t bytes_freed = 0;
  uint64_t temp_files_removed = 0;
  uint64_t blocks_kept = 0;
};

struct VerifyProblem {
  std::string cid;     // as the DAGs that reference it name it, else CIDv1 raw of the multihash
  std::string path;    // the block file
  std::string reason;  // "corrupt", "missing", "unreadable: …", "stray file"
};

class Repo : public BlockSource {
 public:
  enum class Access { kShared, kExclusive };

  // The repository directory: `flag` when set, else $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate.
  static std::string DefaultPath(const std::string& flag);

  // Opens (creating when missing) the repository at `path` and takes its lock.
  static Result<std::unique_ptr<Repo>> Open(const std::string& path,
                                            Access access = Access::kShared,
                                            uint64_t cache_bytes = 32ull << 20);

  // Verified bytes of a block, from the memory cache or from disk.
  Result<std::string> GetBlock(const Cid& cid) override;
  bool HasBlock(const Cid& cid) const { return blocks_.Has(cid.multihash()); }

  // A writer for new blocks; see BlockWriter for the durability guarantees.
  std::unique_ptr<BlockWriter> NewWriter(BlockWriter::Publish publish);

  // A CID from its text or from an alias name.
  Result<Cid> Resolve(const std::string& ref);

  // Recursive pins. Pin checks that the whole DAG is present and intact first, unless the
  // caller has just written or checked it (`check_dag` false: add, car import).
  Status Pin(const Cid& root, bool check_dag = true);
  Status Unpin(const Cid& root);
  Result<std::vector<Cid>> Pins();

  // Aliases: a mutable name for a CID ("ppocr-v4"). GC keeps their targets too.
  Status SetAlias(const std::string& name, const Cid& cid);
  Status RemoveAlias(const std::string& name);
  Result<std::map<std::string, Cid>> Aliases();

  // Removes every block not reachable from a pin or an alias, and stale temporary files.
  // Needs Access::kExclusive.
  Result<GcStats> CollectGarbage();

  // Re-hashes every block file (root empty) or every block of one DAG.
  Result<std::vector<VerifyProblem>> Verify(const std::optional<Cid>& root,
                                            uint64_t* blocks_checked);
  // Temporary block files left by writers whose process is gone (an import killed or crashed):
  // never visible as blocks, but disk space that gc reclaims.
  std::vector<std::string> StaleTempFiles();

  DiskBlockStore& blocks() { return blocks_; }
  const std::string& path() const { return path_; }

 private:
  Repo(std::string path, FileLock lock, uint64_t cache_bytes);
  Result<std::vector<Cid>> Roots();  // pins and alias targets
  Status UpdateJson(const std::string& file, const std::function<Status(std::string&)>& update);

  std::string path_;
  FileLock lock_;
  DiskBlockStore blocks_;
  BlockCache cache_;
  Access access_ = Access::kShared;
};

// Checks an alias name: 1-128 of [A-Za-z0-9._-], not starting with '.', not a CID.
Status ValidateAliasName(const std::string& name);

}  // namespace ipfs_accelerate::store
