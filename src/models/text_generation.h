// Text in, text out: a package's tokenizer around the continuous-batching Generator. The text of
// a continuation streams as it is made — whole characters only, and never the start of what may
// turn out to be a stop string — and ends at the first stop string, which is not part of it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/generation.h"
#include "models/package.h"
#include "models/tokenizer/tokenizer.h"

namespace ipfs_accelerate::models {

struct TextRequest {
  std::string prompt;
  std::vector<uint32_t> prompt_ids;  // when not empty, the prompt's tokens (`prompt` is unused)
  SamplingOptions sampling;          // start from TextGenerationPipeline::defaults()
  std::vector<std::string> stop;
  // Each new piece of text as it is made (on the generator's thread); false stops generating.
  std::function<bool(std::string_view piece)> on_text;
};

struct TextResult {
  std::string text;
  std::vector<uint32_t> prompt_ids;
  std::vector<uint32_t> tokens;  // generated (those of a stop string included)
  FinishReason finish = FinishReason::kLength;
  double prefill_ms = 0, decode_ms = 0;
};

using TextCallback = std::function<void(Result<TextResult>)>;

class TextGenerationPipeline {
 public:
  // `manifest` gives the defaults (sampling, stop strings, max_batch, context length).
  static Result<std::unique_ptr<TextGenerationPipeline>> Create(
      engine::Model model, std::unique_ptr<Tokenizer> tokenizer, PackageManifest manifest,
      engine::SessionOptions options = {});

  // The package's sampling defaults, for a request to start from.
  SamplingOptions defaults() const { return manifest_.generation; }
  const PackageManifest& manifest() const { return manifest_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const Generator& generator() const { return *generator_; }

  // Tokenizes and queues `request`; `done` is called once (on the generator's thread, or here
  // for a prompt that does not tokenize).
  void Submit(TextRequest request, TextCallback done);
  // Runs `requests` together (continuous batching) and waits for all.
  std::vector<Result<TextResult>> GenerateMany(std::vector<TextRequest> requests);

 private:
  TextGenerationPipeline() = default;

  std::unique_ptr<Tokenizer> tokenizer_;
  PackageManifest manifest_;
  std::unique_ptr<Generator> generator_;
};

}  // namespace ipfs_accelerate::models
