// Blocks on disk, one file per block named by its multihash, in 1024 shard directories
// (the two characters before the last of the base32 name, like Kubo's flatfs next-to-last/2).
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "store/block_store.h"

namespace ipfs_accelerate::store {

class DiskBlockStore : public BlockSource {
 public:
  // `root` is the repository's blocks/ directory.
  explicit DiskBlockStore(std::string root);

  // Reads and verifies the block; the bytes never leave here unverified.
  Result<std::string> GetBlock(const Cid& cid) override;
  // Reads the block file for `multihash` without verifying it (verify and gc use this).
  Result<std::string> ReadRaw(const std::string& multihash) const;
  bool Has(const std::string& multihash) const;
  Status Remove(const std::string& multihash);

  // Calls `fn` for every block file. Files whose names are not multihashes are reported with an
  // empty multihash so that callers can flag them.
  Status ForEach(
      const std::function<void(const std::string& multihash, const std::string& path)>& fn) const;

  // Where the block for `multihash` lives, and its shard directory.
  std::string PathFor(const std::string& multihash) const;
  std::string ShardDirFor(const std::string& multihash) const;
  // Where writers put temporary files before renaming them into place.
  std::string TempDir() const { return root_ + "/.tmp"; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace ipfs_accelerate::store
