// Files and directories -> UnixFS DAGs, with the same CIDs as the IPFS reference importers.
//
// Files are cut by a fixed-size chunker; leaves are hashed in parallel on the caller's thread
// pool while this thread reads ahead; a balanced tree of at most `max_links` children per node
// is built as leaves arrive, so memory stays bounded whatever the file size.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

struct ImportOptions {
  // How a directory's size is measured against `dir_threshold` (the js importer's names).
  enum class DirSizeRule { kLinksBytes, kBlockBytes };

  std::string profile;
  int cid_version = 1;
  bool raw_leaves = true;
  uint64_t chunk_size = 1 << 20;
  size_t max_links = 1024;
  DirSizeRule dir_rule = DirSizeRule::kBlockBytes;
  uint64_t dir_threshold = 256 << 10;
  bool hidden = false;  // include names starting with '.'
  // Follow symbolic links (import what they point to), as `cp -L` does; without it a link is an
  // error (a Hugging Face cache snapshot is made of links into blobs/).
  bool dereference_symlinks = false;

  // "unixfs-v1-2025" (the default: CIDv1, raw leaves, 1 MiB chunks, 1024 links) or
  // "unixfs-v0-2015" (CIDv0, dag-pb leaves, 256 KiB chunks, 174 links; Kubo's legacy default).
  static Result<ImportOptions> ForProfile(std::string_view name);
  // Kubo's --cid-version: 1 turns raw leaves on and 0 turns them off, unless they were given.
  Status SetCidVersion(int version, bool raw_leaves_given);
  // Kubo's --chunker "size-N" (1 <= N <= 1 MiB).
  Status SetChunker(std::string_view spec);
};

struct ImportedEntry {
  std::string name;  // base name, for directory links
  Cid cid;
  uint64_t tsize = 0;      // cumulative size of all blocks (dag-pb Tsize)
  uint64_t file_size = 0;  // UnixFS content size
  bool is_directory = false;
};

// Where a file's bytes come from: copied into buffers, or mapped from the page cache.
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // The next `size` bytes (fewer only at the end, none after it); valid until Release.
  virtual Result<std::span<const uint8_t>> Next(size_t size) = 0;
  virtual void Release(std::span<const uint8_t> chunk) = 0;
};

class Importer {
 public:
  // Called for every file and directory a walk adds, children before parents, with its path
  // relative to the argument's parent ("model/config.json", then "model"), as `ipfs add` prints.
  using EntryCallback = std::function<void(const std::string& path, const ImportedEntry& entry)>;

  // `sink` receives every block; null computes CIDs only (add --only-hash).
  // `progress` is called on this thread with the number of file bytes read so far.
  Importer(ImportOptions options, BlockSink* sink, ThreadPool* pool,
           std::function<void(uint64_t)> progress = nullptr, EntryCallback on_entry = nullptr);

  // Imports a regular file, or a directory when `recursive`.
  Result<ImportedEntry> AddPath(const std::string& path, bool recursive);
  // Imports what can be read from `fd` (a pipe, say) as a file named `name`.
  Result<ImportedEntry> AddFd(int fd, const std::string& name);
  // Imports bytes as a file.
  Result<ImportedEntry> AddBytes(std::span<const uint8_t> bytes);
  // Makes a directory node over `children` (the -w wrapper and each directory of a walk).
  Result<ImportedEntry> MakeDirectory(std::vector<ImportedEntry> children, std::string name = "");

 private:
  Result<ImportedEntry> AddFile(const std::string& path, const std::string& shown);
  Result<ImportedEntry> AddDirectory(const std::string& path, const std::string& shown, int depth);
  // Builds the file from the chunks of `source`.
  Result<ImportedEntry> AddStream(ChunkSource& source);
  Cid MakeCid(uint64_t codec, std::string multihash) const;

  ImportOptions options_;
  BlockSink* sink_;
  ThreadPool* pool_;
  std::function<void(uint64_t)> progress_;
  EntryCallback on_entry_;
  uint64_t bytes_read_ = 0;
};

}  // namespace ipfs_accelerate::store
