// Durable, batched block writes into a DiskBlockStore.
//
// Each block goes to its own temporary file; a background thread makes whole batches durable
// (fdatasync) and only then renames each file to its final name, so a block never appears under
// its name before its bytes are on disk. Block writes need no lock: a block's name is its hash,
// so two writers of one block write the same bytes and rename is atomic.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "store/block_store.h"
#include "store/disk_block_store.h"

namespace ipfs_accelerate::store {

class BlockWriter : public BlockSink {
 public:
  enum class Publish {
    kAfterEachSync,  // blocks appear as soon as their batch is durable (add)
    kOnCommit,       // nothing appears unless Commit succeeds (CAR import: all or nothing)
  };

  BlockWriter(DiskBlockStore* store, Publish publish);
  // Aborts unless Commit succeeded.
  ~BlockWriter() override;
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  Status Put(const Cid& cid, std::span<const std::span<const uint8_t>> parts) override;

  // Returns once every block put so far is durable under its final name.
  Status Commit();
  // Removes every temporary file not yet published.
  void Abort();

  uint64_t blocks_written() const { return blocks_written_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  struct Pending {
    UniqueFd fd;
    std::string tmp_path;
    std::string multihash;
  };
  using Batch = std::vector<Pending>;

  void SyncLoop();
  Status SyncBatch(Batch& batch);
  Status PublishOne(Pending& p);
  void HandOffLocked(std::unique_lock<std::mutex>& lock);

  DiskBlockStore* store_;
  Publish publish_;
  bool finished_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  Batch current_;
  uint64_t current_bytes_ = 0;
  std::deque<Batch> queue_;  // batches waiting for the sync thread
  bool syncing_ = false;     // the sync thread holds a batch
  bool stopping_ = false;
  Status error_;
  std::set<std::string> seen_;          // multihashes put through this writer
  std::vector<Pending> synced_;         // kOnCommit: durable, waiting for Commit
  std::set<std::string> dirs_to_sync_;  // shard directories that received renames
  bool created_shard_ = false;
  uint64_t blocks_written_ = 0;
  uint64_t bytes_written_ = 0;
  std::string tmp_prefix_;  // temporary file names: prefix + counter
  uint64_t tmp_counter_ = 0;
  std::thread syncer_;
};

}  // namespace ipfs_accelerate::store
