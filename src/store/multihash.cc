#include "store/multihash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <string_view>

#include "store/varint.h"

namespace ipfs_accelerate::store {

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Update(std::span<const uint8_t> data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

void Sha256Hasher::Update(const std::string& data) { Update(AsBytes(data)); }

std::string Sha256Hasher::FinishMultihash() {
  std::string out(34, '\0');
  out[0] = static_cast<char>(kSha256Code);
  out[1] = 32;
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data() + 2), &len);
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  return out;
}

std::string Sha256Multihash(std::span<const uint8_t> data) {
  std::string out(34, '\0');
  out[0] = static_cast<char>(kSha256Code);
  out[1] = 32;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data() + 2), &len,
             EVP_sha256(), nullptr);
  return out;
}

Result<std::string> ReadMultihash(std::span<const uint8_t> in, size_t* pos) {
  size_t start = *pos;
  auto code = ReadVarint(in, pos, /*minimal=*/true);
  if (!code) return Status::InvalidArgument("multihash has a malformed hash code varint");
  auto len = ReadVarint(in, pos, /*minimal=*/true);
  if (!len) return Status::InvalidArgument("multihash has a malformed digest length varint");
  if (*len > kMaxDigestSize) {
    return Status::InvalidArgument("multihash digest length " + std::to_string(*len) + " exceeds " +
                                   std::to_string(kMaxDigestSize));
  }
  if (*code == kSha256Code && *len != 32) {
    return Status::InvalidArgument("sha2-256 multihash with digest length " + std::to_string(*len) +
                                   " (must be 32)");
  }
  if (in.size() - *pos < *len) return Status::InvalidArgument("multihash digest is truncated");
  *pos += *len;
  return std::string(reinterpret_cast<const char*>(in.data() + start), *pos - start);
}

uint64_t MultihashCode(const std::string& multihash) {
  size_t pos = 0;
  return ReadVarint(AsBytes(multihash), &pos).value_or(0);
}

std::optional<std::string> IdentityDigest(const std::string& multihash) {
  size_t pos = 0;
  auto code = ReadVarint(AsBytes(multihash), &pos);
  if (code != kIdentityCode) return std::nullopt;
  auto len = ReadVarint(AsBytes(multihash), &pos);
  if (!len || *len != multihash.size() - pos) return std::nullopt;
  return multihash.substr(pos);
}

Status VerifyMultihash(const std::string& multihash, std::span<const uint8_t> data) {
  uint64_t code = MultihashCode(multihash);
  if (code == kIdentityCode) {
    auto digest = IdentityDigest(multihash);
    if (digest &&
        std::string_view(reinterpret_cast<const char*>(data.data()), data.size()) == *digest) {
      return Status::Ok();
    }
    return Status::Corruption("block bytes do not match their identity CID");
  }
  if (code != kSha256Code) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(code));
    return Status::Unsupported(std::string("hash function ") + hex +
                               " (only sha2-256 is supported)");
  }
  if (Sha256Multihash(data) != multihash) {
    return Status::Corruption("block bytes do not match their hash");
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::store
