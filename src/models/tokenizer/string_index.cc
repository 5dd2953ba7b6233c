#include "models/tokenizer/string_index.h"

namespace ipfs_accelerate::models::tokenizers {

void StringIndex::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.used) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].used) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void StringIndex::Set(std::string_view key, uint32_t value) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();  // at most half full
  uint64_t h = Hash(key);
  size_t i = h & mask_;
  for (; slots_[i].used; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.hash == h && s.len == key.size() &&
        std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
      s.value = value;
      return;
    }
  }
  slots_[i] = {h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), value,
               1};
  arena_.append(key);
  ++size_;
}

}  // namespace ipfs_accelerate::models::tokenizers
