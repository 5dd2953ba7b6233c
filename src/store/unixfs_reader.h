// Reading UnixFS DAGs: resolve paths, stat, list directories, stream files, materialize trees.
// Every block comes from a BlockSource, which verifies it, so no unverified byte is ever emitted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

struct DagStat {
  Cid cid;
  std::string type;          // file, directory, raw, symlink, hamt-sharded-directory, metadata
  uint64_t size = 0;         // content size (files); 0 for directories
  uint64_t cumulative_size = 0;  // this block plus the Tsize of each link
  uint64_t block_size = 0;
  size_t links = 0;
};

struct DirEntry {
  std::string name;
  Cid cid;
  std::string type;
  uint64_t size = 0;  // content size for files, Tsize otherwise
};

class UnixFsReader {
 public:
  explicit UnixFsReader(BlockSource* source) : source_(source) {}

  // Follows `path` ("a/b/c", may be empty) through directories below `root`.
  Result<Cid> Resolve(const Cid& root, const std::string& path);
  Result<DagStat> Stat(const Cid& cid);
  // Entries of a directory, each with its type and size.
  Result<std::vector<DirEntry>> List(const Cid& cid);
  // Streams a file's bytes to `out` in order, checking sizes against the UnixFS metadata.
  Status ReadFile(const Cid& cid, const std::function<Status(std::span<const uint8_t>)>& out);
  // Writes a file or directory tree to `dest`, which must not exist. The result appears whole
  // (built under a temporary name, synced, renamed) or not at all.
  Status Get(const Cid& cid, const std::string& dest, const std::function<void(uint64_t)>& progress);

 private:
  Status ReadNode(const Cid& cid, std::optional<uint64_t> expected, int depth,
                  const std::function<Status(std::span<const uint8_t>)>& out);
  Status GetInto(const Cid& cid, const std::string& path, int depth, uint64_t* done,
                 const std::function<void(uint64_t)>& progress);

  BlockSource* source_;
};

// Splits "CID/path", "/ipfs/CID/path" into the root reference and the path below it.
void SplitIpfsPath(const std::string& text, std::string* root, std::string* path);

}  // namespace ipfs_accelerate::store
