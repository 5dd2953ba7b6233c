// Post-processors: what tokenizer.json's "post_processor" does to the tokenized text(s) — special
// tokens around them ([CLS] ... [SEP], <s> ... </s>), type ids, and offset trimming for the byte
// level. TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and Sequence.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/tokenizer/encoding.h"

namespace ipfs_accelerate::models::tokenizers {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // How many tokens ProcessEncodings adds to one text, or to a pair.
  virtual size_t AddedTokens(bool pair) const = 0;
  // Rewrites the encodings of one text or of a pair (in order); the caller concatenates what is
  // left. Special tokens only with `add_special_tokens`.
  virtual Status ProcessEncodings(std::vector<Encoding>* encodings,
                                  bool add_special_tokens) const = 0;
};

// What the reference does without a post-processor: the encodings as they are.
inline size_t DefaultAddedTokens() { return 0; }

Result<std::unique_ptr<PostProcessor>> ParsePostProcessor(const nlohmann::json& j,
                                                          const std::string& path);

// The ByteLevel offset trimming: offsets of tokens that start or end with spaces ("Ġ" or
// whitespace) leave the spaces out, except the one space the pre-tokenizer added in front of the
// first token when `add_prefix_space`.
void TrimByteLevelOffsets(Encoding* encoding, bool add_prefix_space);

}  // namespace ipfs_accelerate::models::tokenizers
