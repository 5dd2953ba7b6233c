// string -> uint32 lookups for vocabularies: one open-addressing table over one buffer of all the
// strings, so a lookup is a hash and, usually, one cache line (the tokenizers look up every
// candidate piece of every word).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipfs_accelerate::models::tokenizers {

class StringIndex {
 public:
  // A fast 64-bit hash of short strings, 8 bytes at a time.
  static uint64_t Hash(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
      h ^= h >> 29;
      p += 8;
      n -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < n; ++i) tail |= uint64_t{p[i]} << (8 * i);
    h = (h ^ tail) * 0x94D049BB133111EBULL;
    return h ^ (h >> 32);
  }

  // Maps `key` to `value`, replacing an earlier value.
  void Set(std::string_view key, uint32_t value);

  std::optional<uint32_t> Find(std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    uint64_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return std::nullopt;
      if (s.hash == h && s.len == key.size() &&
          std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
        return s.value;
      }
    }
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t offset;  // into arena_
    uint32_t len;
    uint32_t value;
    uint32_t used;
  };
  void Grow();

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
  size_t mask_ = 0;
};

}  // namespace ipfs_accelerate::models::tokenizers
