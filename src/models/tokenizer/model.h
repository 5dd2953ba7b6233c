// Models: what turns one pre-token into tokens of the vocabulary. BPE, WordPiece, Unigram and
// WordLevel, read from tokenizer.json's "model".
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "models/tokenizer/pre_tokenized_string.h"
#include "models/tokenizer/string_index.h"

namespace ipfs_accelerate::models::tokenizers {

// Hashes std::string and std::string_view alike, so maps of strings are searched without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return StringIndex::Hash(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// token <-> id, as the model's vocabulary holds them.
class Vocab {
 public:
  // Adds `token` with `id` (a later token with the same text replaces the earlier one).
  void Add(std::string token, uint32_t id);
  std::optional<uint32_t> Find(std::string_view token) const { return ids_.Find(token); }
  // The token of `id`, or null.
  const std::string* Token(uint32_t id) const;
  size_t size() const { return ids_.size(); }
  // The length in bytes of the longest token.
  size_t MaxTokenBytes() const { return max_token_bytes_; }

 private:
  size_t max_token_bytes_ = 0;
  StringIndex ids_;
  std::vector<std::string> by_id_;                    // dense ids
  std::unordered_map<uint32_t, std::string> sparse_;  // ids far past the vocabulary size
  std::vector<bool> has_id_;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of one pre-token `text` (normalized, non-empty) to `out`; token offsets
  // are bytes of `text`. Fails when a character cannot be tokenized and there is no unknown token
  // to stand for it.
  virtual Status Tokenize(std::string_view text, std::vector<Token>* out) const = 0;
  virtual std::optional<uint32_t> TokenToId(std::string_view token) const = 0;
  virtual const std::string* IdToToken(uint32_t id) const = 0;
  virtual size_t VocabSize() const = 0;
};

// The model the JSON object `j` at `path` describes. Errors name the field: a merge or an unknown
// token missing from the vocabulary, a vocabulary of the wrong shape, an unknown type.
Result<std::unique_ptr<Model>> ParseModel(const nlohmann::json& j, const std::string& path);

// Reads a {"token": id, ...} object into `vocab`.
Status ParseVocabObject(const nlohmann::json& j, const std::string& path, Vocab* vocab);

Result<std::unique_ptr<Model>> ParseBpe(const nlohmann::json& j, const std::string& path);
Result<std::unique_ptr<Model>> ParseWordPiece(const nlohmann::json& j, const std::string& path);
Result<std::unique_ptr<Model>> ParseWordLevel(const nlohmann::json& j, const std::string& path);
Result<std::unique_ptr<Model>> ParseUnigram(const nlohmann::json& j, const std::string& path);

}  // namespace ipfs_accelerate::models::tokenizers
