// Unsigned LEB128 varints, as multiformats and protobuf write them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ipfs_accelerate::store {

// Appends the varint encoding of `v` to `out`.
inline void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Number of bytes AppendVarint writes for `v`.
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads a varint at `*pos`, advancing it. Fails on truncation, on more than 64 bits and,
// when `minimal` is set (multiformats rule), on a non-minimal encoding.
inline std::optional<uint64_t> ReadVarint(std::span<const uint8_t> in, size_t* pos,
                                          bool minimal = false) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= in.size()) return std::nullopt;
    uint8_t b = in[(*pos)++];
    if (shift == 63 && b > 1) return std::nullopt;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (minimal && b == 0 && shift > 0) return std::nullopt;
      return v;
    }
  }
  return std::nullopt;
}

inline std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace ipfs_accelerate::store
