// A CAR of part of a DAG, produced piece by piece: what a trustless gateway streams for
// ?format=car with dag-scope and entity-bytes
// (https://specs.ipfs.tech/http-gateways/trustless-gateway/), and what `car export` writes. Blocks
// come in depth-first order, parents before children, links in order (order=dfs); identity CIDs are
// never sent (their bytes are in the CID).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/block_store.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

// Which blocks below the root a CAR carries.
//  kBlock: the root block only.
//  kEntity: what it takes to read the root as one thing: every block of a UnixFS file (or those
//    covering `entity_bytes`), a directory's own block (and a sharded directory's shard nodes);
//    for anything else the root block.
//  kAll: every block reachable from the root.
enum class DagScope { kBlock, kEntity, kAll };
const char* DagScopeName(DagScope scope);
// "block", "entity" or "all"; kInvalidArgument naming the value otherwise.
Result<DagScope> ParseDagScope(std::string_view text);

// entity-bytes=from:to, inclusive; negative offsets count from the end; `to` empty for "*".
struct EntityBytes {
  int64_t from = 0;
  std::optional<int64_t> to;
  std::string ToString() const;  // "from:to" as written in a request
};
// Parses "from:to" (from: an integer; to: an integer or "*"); kInvalidArgument otherwise.
Result<EntityBytes> ParseEntityBytes(std::string_view text);

struct CarSelection {
  DagScope scope = DagScope::kAll;
  std::optional<EntityBytes> entity_bytes;  // implies kEntity; only narrows UnixFS files
  bool dups = false;  // true: a block is sent every time the walk meets it (dups=y)
  // Names below the root through UnixFS directories ("models", "bert", "model.onnx"): the
  // blocks of those directories come first, then the selection of what the path leads to.
  std::vector<std::string> path;
};

// The most sections one CAR may carry (dups=y on a DAG that links the same nodes from many places
// can describe far more blocks than it holds).
inline constexpr uint64_t kMaxCarSections = uint64_t{1} << 24;

class CarStream {
 public:
  // Reads the root block (and resolves the path) first, so a caller learns kNotFound (no root
  // block, no such path), kUnsupported (a path through a HAMT-sharded directory) or
  // kInvalidArgument (entity-bytes entirely outside the file) before it has sent anything.
  // `source` must outlive the stream.
  static Result<std::unique_ptr<CarStream>> Start(BlockSource& source, const Cid& root,
                                                  const CarSelection& selection);

  // Appends the next piece to `*out`: the header first, then one section per block. False when
  // the CAR is complete. An error (a block missing or corrupt below the root) leaves the CAR
  // incomplete; a reader that checks it sees that.
  Result<bool> Next(std::string* out);

  uint64_t sections() const { return sections_; }

 private:
  struct Pending {
    Cid cid;
    bool entity = false;  // part of a UnixFS file whose byte range is narrowed
    uint64_t start = 0;   // the file offset of this node's first byte (when `entity`)
  };
  CarStream(BlockSource& source, const Cid& root, const CarSelection& selection);
  // The children of `item` (whose bytes are `block`) this selection sends, in link order.
  Result<std::vector<Pending>> Children(const Pending& item, const std::string& block);

  BlockSource& source_;
  Cid root_;
  CarSelection selection_;
  uint64_t range_first_ = 0, range_last_ = 0;  // resolved entity-bytes, inclusive
  bool header_sent_ = false;
  std::vector<Pending> stack_;
  // The directories the path goes through, with their blocks, sent first.
  std::vector<std::pair<Cid, std::string>> path_blocks_;
  size_t next_path_block_ = 0;
  std::optional<std::string> root_block_;  // what the path leads to, read by Start
  CidSet seen_;
  uint64_t sections_ = 0;
};

// Appends one CAR section (varint length, CID bytes, block) to `out`.
void AppendCarSection(std::string& out, const Cid& cid, std::string_view block);

}  // namespace ipfs_accelerate::store
