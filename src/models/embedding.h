// Text embeddings: a package's tokenizer and encoder, pooled (mean over the text's tokens, the
// first token, or the last) and L2-normalized as the package says. Texts are batched by token
// budget, like TEI's max_batch_tokens: sorted by length, so a batch pads little, and a long list
// is split into as many runs as it takes. A text's vector does not depend on the batch it lands
// in beyond float rounding (padding is masked).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/package.h"
#include "models/tokenizer/tokenizer.h"

namespace ipfs_accelerate::models {

struct EmbedOptions {
  // Texts longer than the model reads are cut to fit; false: they are an error.
  bool truncate = false;
  int64_t max_batch_tokens = 16384;  // tokens (padding included) one run may hold
};

struct Embeddings {
  std::vector<std::vector<float>> vectors;  // one per text, in order
  int64_t tokens = 0;                       // the texts' tokens (special tokens included)
  int runs = 0;
};

class EmbeddingPipeline {
 public:
  static Result<std::unique_ptr<EmbeddingPipeline>> Create(engine::Model model,
                                                           std::unique_ptr<Tokenizer> tokenizer,
                                                           PackageManifest manifest,
                                                           engine::SessionOptions options = {});

  // kInvalidArgument naming the text (by index) that is not UTF-8, empty after tokenizing, or
  // too long without `truncate`.
  Result<Embeddings> Embed(const std::vector<std::string>& texts,
                           const EmbedOptions& options = {}) const;

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const PackageManifest& manifest() const { return manifest_; }
  // The tokens one text may hold (the model's context).
  int64_t max_tokens() const { return manifest_.max_positions; }

 private:
  EmbeddingPipeline() = default;
  // Runs texts `order[first, last)` (token ids in `encoded`) as one batch into `out`.
  Status RunBatch(const std::vector<std::vector<uint32_t>>& encoded,
                  const std::vector<size_t>& order, size_t first, size_t last,
                  std::vector<std::vector<float>>* out) const;

  std::unique_ptr<engine::Session> session_;
  std::unique_ptr<Tokenizer> tokenizer_;
  PackageManifest manifest_;
  std::string ids_input_, mask_input_, types_input_, output_;
  uint32_t pad_id_ = 0;
};

}  // namespace ipfs_accelerate::models
