// Added tokens (tokenizer.json's "added_tokens"): strings found whole in the text before the
// model sees it, special tokens ([CLS], <|endoftext|>) among them. Tokens with normalized: false
// are found in the original text first; the remaining pieces are then normalized and searched
// for the normalized: true ones. Matching is leftmost-longest; single_word, lstrip and rstrip
// behave as in the reference (a strip takes the whitespace into the token's piece).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "models/tokenizer/model.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/pre_tokenized_string.h"

namespace ipfs_accelerate::models::tokenizers {

struct AddedToken {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;

  // Adds `tokens` one by one as the reference loads a file: a token already in the model's
  // vocabulary (or added before) keeps that id, any other gets the next free id past the
  // vocabulary. `normalizer` (may be null) gives the form normalized tokens are searched in.
  Status Add(const std::vector<AddedToken>& tokens, const Model& model,
             const Normalizer* normalizer);

  // Cuts the added tokens out of `text` (one piece) and normalizes the rest with `normalizer`.
  Status ExtractAndNormalize(const Normalizer* normalizer, PreTokenizedString* text) const;

  std::optional<uint32_t> TokenToId(std::string_view content) const;
  // The added token with `id`, or null.
  const AddedToken* Find(uint32_t id) const;
  bool IsSpecial(std::string_view content) const;
  size_t size() const { return by_content_.size(); }

 private:
  // A leftmost-longest matcher over a set of strings.
  struct Matcher {
    std::unordered_map<uint64_t, uint32_t> edges;  // (node << 8 | byte) -> child
    std::vector<int64_t> terminal;                 // per node: index into ids, or -1
    std::vector<uint32_t> ids;                     // per pattern: its token id
    bool first_byte[256] = {};
    void Build(const std::vector<std::string>& patterns, const std::vector<uint32_t>& pattern_ids);
    // The non-overlapping leftmost-longest matches: (start, end, id).
    void FindAll(std::string_view text, std::vector<std::array<size_t, 3>>* out) const;
  };
  Status SplitWithMatcher(NormalizedString&& piece, const Matcher& matcher,
                          std::vector<PreToken>* out) const;

  StringMap<uint32_t> by_content_;
  uint32_t max_id_ = 0;  // the largest id in by_content_
  std::unordered_map<uint32_t, AddedToken> by_id_;
  std::vector<AddedToken> special_;  // in the order added
  std::vector<AddedToken> plain_;    // non-special, in the order added
  Matcher original_matcher_;
  Matcher normalized_matcher_;
};

}  // namespace ipfs_accelerate::models::tokenizers
