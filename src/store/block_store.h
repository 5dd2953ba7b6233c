// The two directions blocks move in: a source hands out verified blocks, a sink takes new ones.
#pragma once

#include <span>
#include <string>

#include "core/status.h"
#include "store/cid.h"

namespace ipfs_accelerate::store {

// Gives the bytes of a block, already checked against its CID.
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // kNotFound when absent, kCorruption when the stored bytes do not match the CID.
  virtual Result<std::string> GetBlock(const Cid& cid) = 0;
};

// Takes blocks whose CIDs the caller computed. Implementations are safe to call from many threads.
class BlockSink {
 public:
  virtual ~BlockSink() = default;
  // Stores the concatenation of `parts` as the block named `cid`.
  virtual Status Put(const Cid& cid, std::span<const std::span<const uint8_t>> parts) = 0;
};

}  // namespace ipfs_accelerate::store
