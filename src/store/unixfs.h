// UnixFS: the file-system meaning carried in a dag-pb node's Data field.
// https://specs.ipfs.tech/unixfs/
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/dag_pb.h"

namespace ipfs_accelerate::store {

enum class UnixFsType : uint32_t {
  kRaw = 0,
  kDirectory = 1,
  kFile = 2,
  kMetadata = 3,
  kSymlink = 4,
  kHamtShard = 5,
};

struct UnixFsData {
  UnixFsType type = UnixFsType::kFile;
  std::optional<std::string> data;
  std::optional<uint64_t> filesize;
  std::vector<uint64_t> blocksizes;
  std::optional<uint64_t> hash_type;
  std::optional<uint64_t> fanout;
  std::optional<uint32_t> mode;
  std::optional<int64_t> mtime_seconds;
  std::optional<uint32_t> mtime_nanos;
};

// Encodes as the reference implementations do (fields in number order, blocksizes unpacked).
std::string EncodeUnixFs(const UnixFsData& d);

// Decodes a UnixFS Data message; rejects unknown fields, duplicates and bad wire types.
Result<UnixFsData> DecodeUnixFs(std::span<const uint8_t> bytes);

// A decoded dag-pb node and its UnixFS meaning, checked for consistency (for files: one
// blocksize per link; filesize = data + sum of blocksizes).
struct UnixFsNode {
  PbNode pb;
  UnixFsData fs;
};
Result<UnixFsNode> DecodeUnixFsNode(std::span<const uint8_t> block);

// The CID that the entry `name` of the directory `dir` (whose block is `block`) links to.
// kNotFound when `dir` is no directory or has no such entry; kUnsupported for a HAMT-sharded
// directory.
Result<Cid> DirectoryEntry(const Cid& dir, std::string_view block, const std::string& name);

// The bytes around a chunk in a dag-pb file leaf {Data: UnixFS{File, Data: chunk, filesize}},
// so the leaf can be hashed and written without copying the chunk: prefix + chunk + suffix.
struct LeafFraming {
  std::string prefix;
  std::string suffix;
};
LeafFraming FileLeafFraming(uint64_t chunk_size);

const char* UnixFsTypeName(UnixFsType t);

}  // namespace ipfs_accelerate::store
