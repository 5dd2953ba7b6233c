// An in-memory LRU cache of verified blocks, bounded by bytes. Safe for concurrent use.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ipfs_accelerate::store {

class BlockCache {
 public:
  explicit BlockCache(uint64_t budget_bytes) : budget_(budget_bytes) {}

  // The cached bytes for `multihash`, or null.
  std::shared_ptr<const std::string> Get(const std::string& multihash);
  // Caches `bytes` (already verified); blocks larger than the budget are not cached.
  void Put(const std::string& multihash, std::shared_ptr<const std::string> bytes);
  void Erase(const std::string& multihash);

  uint64_t bytes() const;
  uint64_t budget() const { return budget_; }

 private:
  struct Entry {
    std::string multihash;
    std::shared_ptr<const std::string> bytes;
  };
  mutable std::mutex mu_;
  uint64_t budget_;
  uint64_t used_ = 0;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace ipfs_accelerate::store
