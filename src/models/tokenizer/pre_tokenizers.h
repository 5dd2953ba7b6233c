// Pre-tokenizers: how tokenizer.json's "pre_tokenizer" cuts the normalized text into words that
// the model then tokenizes one by one. BertPreTokenizer, ByteLevel, Split (string or regex,
// every behavior, invert), Metaspace, Whitespace, WhitespaceSplit, CharDelimiterSplit, Digits,
// Punctuation and Sequence; others are refused by name.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "models/tokenizer/pre_tokenized_string.h"

namespace ipfs_accelerate::models::tokenizers {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual Status PreTokenize(PreTokenizedString* text) const = 0;
};

// The pre-tokenizer the JSON object `j` at `path` describes; kInvalidArgument naming the field
// that is wrong (a regex that does not compile included), kUnsupported naming an unknown type.
Result<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(const nlohmann::json& j,
                                                        const std::string& path);

// The GPT-2 split the ByteLevel pre-tokenizer uses with use_regex.
inline constexpr char kGpt2Pattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace ipfs_accelerate::models::tokenizers
