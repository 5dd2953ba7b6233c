// Multihash: <varint hash code><varint digest length><digest>. We hash with sha2-256 (OpenSSL).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/status.h"

namespace ipfs_accelerate::store {

constexpr uint64_t kIdentityCode = 0x00;  // the "digest" is the data itself
constexpr uint64_t kSha256Code = 0x12;
constexpr size_t kMaxDigestSize = 128;

// Incremental sha2-256 whose result is a multihash (0x12 0x20 <32 bytes>).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::span<const uint8_t> data);
  void Update(const std::string& data);
  // The multihash of everything passed to Update; the hasher is then reset for reuse.
  std::string FinishMultihash();

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// The sha2-256 multihash of `data`.
std::string Sha256Multihash(std::span<const uint8_t> data);

// Reads one multihash at `*pos`, advancing it; returns its bytes. Rejects truncation,
// non-minimal varints and digests longer than kMaxDigestSize.
Result<std::string> ReadMultihash(std::span<const uint8_t> in, size_t* pos);

// The hash function code of a well-formed multihash.
uint64_t MultihashCode(const std::string& multihash);

// The bytes an identity multihash carries; nullopt for any other hash function or a malformed one.
// Identity CIDs (bafkqaaa, the empty raw block, among them) name blocks that are never stored or
// sent: their bytes are in the CID.
std::optional<std::string> IdentityDigest(const std::string& multihash);

// Ok when `data` hashes to `multihash` (for identity: equals its digest); kCorruption when not;
// kUnsupported for hash functions other than sha2-256 and identity.
Status VerifyMultihash(const std::string& multihash, std::span<const uint8_t> data);

}  // namespace ipfs_accelerate::store
