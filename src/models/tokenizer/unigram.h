// Unigram (SentencePiece): the segmentation of the word into vocabulary pieces with the highest
// total score (Viterbi), characters no piece covers scoring as the unknown token (fused when
// adjacent), or as <0xNN> byte tokens with byte_fallback.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/tokenizer/model.h"

namespace ipfs_accelerate::models::tokenizers {

class Unigram : public Model {
 public:
  // `pieces` in id order with their scores; `unk_id` indexes them. kInvalidArgument when unk_id
  // is out of range or the vocabulary is empty while unk_id is set.
  static Result<std::unique_ptr<Unigram>> Create(std::vector<std::pair<std::string, double>> pieces,
                                                 std::optional<uint32_t> unk_id,
                                                 bool byte_fallback);

  Status Tokenize(std::string_view text, std::vector<Token>* out) const override;
  std::optional<uint32_t> TokenToId(std::string_view token) const override;
  const std::string* IdToToken(uint32_t id) const override {
    return id < pieces_.size() ? &pieces_[id].first : nullptr;
  }
  size_t VocabSize() const override { return pieces_.size(); }

 private:
  Unigram() = default;
  // Calls `found`(id, length) for every piece that `text` starts with, shortest first.
  template <typename F>
  void PrefixSearch(std::string_view text, F&& found) const;

  std::vector<std::pair<std::string, double>> pieces_;
  StringIndex ids_;
  std::optional<uint32_t> unk_id_;
  bool byte_fallback_ = false;
  double min_score_ = 0;
  // A byte trie: (node << 8 | byte) -> child; node 0 is the root.
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::vector<int64_t> terminal_;  // per node: the piece id ending there, or -1
};

Result<std::unique_ptr<Model>> ParseUnigram(const nlohmann::json& j, const std::string& path);

}  // namespace ipfs_accelerate::models::tokenizers
