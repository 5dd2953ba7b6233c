// Multibase text encodings of binary strings: base32 (lower, RFC 4648, no padding) and base58btc.
#pragma once

#include <span>
#include <string>

#include "core/status.h"

namespace ipfs_accelerate::store {

std::string Base32Lower(std::span<const uint8_t> bytes);
Result<std::string> DecodeBase32(std::string_view text);  // accepts lower or upper case
std::string Base58Btc(std::span<const uint8_t> bytes);
Result<std::string> DecodeBase58Btc(std::string_view text);

// Decodes a multibase string ('b'/'B' base32, 'z' base58btc, 'f'/'F' base16).
Result<std::string> DecodeMultibase(std::string_view text);

}  // namespace ipfs_accelerate::store
