// Decoders: how tokenizer.json's "decoder" turns tokens back into text. ByteLevel, WordPiece,
// Metaspace, BPEDecoder, ByteFallback, Fuse, Strip, Replace, CTC and Sequence.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::models::tokenizers {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings; the text is their concatenation.
  virtual Status DecodeChain(std::vector<std::string>* tokens) const = 0;
};

Result<std::unique_ptr<Decoder>> ParseDecoder(const nlohmann::json& j, const std::string& path);

// BERT's detokenizer cleanup (" ." -> ".", " n't" -> "n't", ...), also used by CTC.
std::string WordPieceCleanup(std::string text);

}  // namespace ipfs_accelerate::models::tokenizers
