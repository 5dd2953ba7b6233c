#include "store/block_cache.h"

namespace ipfs_accelerate::store {

std::shared_ptr<const std::string> BlockCache::Get(const std::string& multihash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(multihash);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bytes;
}

void BlockCache::Put(const std::string& multihash, std::shared_ptr<const std::string> bytes) {
  if (bytes->size() > budget_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(multihash);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  used_ += bytes->size();
  lru_.push_front({multihash, std::move(bytes)});
  index_[multihash] = lru_.begin();
  while (used_ > budget_) {
    Entry& victim = lru_.back();
    used_ -= victim.bytes->size();
    index_.erase(victim.multihash);
    lru_.pop_back();
  }
}

void BlockCache::Erase(const std::string& multihash) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(multihash);
  if (it == index_.end()) return;
  used_ -= it->second->bytes->size();
  lru_.erase(it->second);
  index_.erase(it);
}

uint64_t BlockCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

}  // namespace ipfs_accelerate::store
