// Normalizers: what tokenizer.json's "normalizer" does to the text before it is split, each
// keeping the offsets of NormalizedString. BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase,
// Strip, StripAccents, Replace, Prepend, ByteLevel and Sequence; others (Precompiled, NMT) are
// refused by name.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "models/tokenizer/normalized_string.h"

namespace ipfs_accelerate::models::tokenizers {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual Status Normalize(NormalizedString* text) const = 0;
};

// The normalizer the JSON object `j` at `path` describes; kInvalidArgument naming the field
// that is wrong, kUnsupported naming a type this build does not implement.
Result<std::unique_ptr<Normalizer>> ParseNormalizer(const nlohmann::json& j,
                                                    const std::string& path);

}  // namespace ipfs_accelerate::models::tokenizers
