// WordPiece (BERT): the longest vocabulary prefix of the word, then the longest
// continuing_subword_prefix + piece of the rest, and so on; a word that cannot be covered, or
// longer than max_input_chars_per_word characters, is the unknown token as a whole.
#pragma once

#include <string>

#include "models/tokenizer/model.h"

namespace ipfs_accelerate::models::tokenizers {

class WordPiece : public Model {
 public:
  WordPiece(Vocab vocab, std::string unk_token, std::string prefix, size_t max_chars);

  Status Tokenize(std::string_view text, std::vector<Token>* out) const override;
  std::optional<uint32_t> TokenToId(std::string_view token) const override {
    return vocab_.Find(token);
  }
  const std::string* IdToToken(uint32_t id) const override { return vocab_.Token(id); }
  size_t VocabSize() const override { return vocab_.size(); }

 private:
  Status Unknown(std::string_view text, std::vector<Token>* out) const;

  Vocab vocab_;
  std::string unk_token_;
  std::string prefix_;
  size_t max_chars_;
  // The longest token of the vocabulary, in bytes: longer candidates need no lookup.
  size_t max_token_bytes_ = 0;
};

Result<std::unique_ptr<Model>> ParseWordPiece(const nlohmann::json& j, const std::string& path);

}  // namespace ipfs_accelerate::models::tokenizers
