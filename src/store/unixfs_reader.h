// Reading UnixFS DAGs: resolve paths, stat, list directories, stream files, materialize trees.
// Every block comes from a BlockSource, which verifies it, so no unverified byte is ever emitted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

struct DagStat {
  Cid cid;
  std::string type;              // file, directory, raw, symlink, hamt-sharded-directory, metadata
  uint64_t size = 0;             // content size (files); 0 for directories
  uint64_t cumulative_size = 0;  // this block plus the Tsize of each link
  uint64_t block_size = 0;
  size_t links = 0;
};

// What writing a DAG out as files would take, from its UnixFS metadata (saturating at UINT64_MAX:
// shared subtrees can declare far more than any disk holds).
struct TreeSize {
  uint64_t bytes = 0;  // file contents
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t disk_bytes = 0;  // bytes rounded up to 4 KiB per file and 4 KiB per directory
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
  // Streams bytes [offset, offset + length) of a file (clipped to its end). Subtrees wholly
  // before `offset` are skipped by their declared sizes, without reading them.
  Status ReadFileRange(const Cid& cid, uint64_t offset, uint64_t length,
                       const std::function<Status(std::span<const uint8_t>)>& out);
  // The sizes `Get` would write, read from the metadata only; each node is read once however
  // often the DAG links it.
  Result<TreeSize> DeclaredSize(const Cid& cid);
  // Writes a file or directory tree to `dest`, which must not exist. The result appears whole
  // (built under PartialPath(dest), synced, renamed) or not at all: before writing, the declared
  // size is checked against the free space and inodes there (kResourceExhausted); a `cancel`led
  // or failed get removes what it wrote. Partial outputs of dead processes for `dest` are removed.
  Status Get(const Cid& cid, const std::string& dest, const std::function<void(uint64_t)>& progress,
             const CancelToken* cancel = nullptr);

 private:
  // The byte range still to emit while a file is read: bytes to skip first, then to emit.
  struct Range {
    uint64_t skip = 0;
    uint64_t remaining = UINT64_MAX;
  };
  Status ReadNode(const Cid& cid, std::optional<uint64_t> expected, int depth, Range* range,
                  const std::function<Status(std::span<const uint8_t>)>& out);
  Status GetInto(const Cid& cid, const std::string& path, int depth, uint64_t* done,
                 const std::function<void(uint64_t)>& progress, const CancelToken* cancel);
  Result<TreeSize> DeclaredSizeMemo(const Cid& cid, int depth,
                                    std::map<std::string, TreeSize>* memo);

  BlockSource* source_;
};

// Splits "CID/path", "/ipfs/CID/path" into the root reference and the path below it.
void SplitIpfsPath(const std::string& text, std::string* root, std::string* path);

}  // namespace ipfs_accelerate::store
