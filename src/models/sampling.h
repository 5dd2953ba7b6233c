// Choosing the next token from a decoder's logits, as Hugging Face's generate does: repetition
// penalty, then greedy (temperature 0) or sampling with temperature, top-k and top-p. Each
// sequence has its own random stream, seeded per request, so a sampled continuation is the same
// whatever else runs in its batch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::models {

struct SamplingOptions {
  int max_new_tokens = 64;
  float temperature = 0;         // 0: greedy (the most likely token); > 0: sample
  int top_k = 0;                 // keep the k most likely tokens (0: all)
  float top_p = 1;               // keep the most likely tokens whose probabilities reach p (1: all)
  float repetition_penalty = 1;  // > 1 makes tokens already in the sequence less likely
  uint64_t seed = 0;
  std::vector<uint32_t> eos_token_ids;  // generation ends after one of these

  // kInvalidArgument naming the field out of range.
  Status Validate() const;
};

class Sampler {
 public:
  // `context`: the tokens so far (the prompt), for the repetition penalty.
  Sampler(const SamplingOptions& options, std::span<const uint32_t> context);

  // The next token from `logits` (one per vocabulary entry; modified in place).
  uint32_t Next(std::span<float> logits);

 private:
  double Uniform();  // in [0, 1), from the sequence's own stream

  SamplingOptions options_;
  std::unordered_set<uint32_t> seen_;
  uint64_t state_;  // splitmix64: the same numbers on every platform and library
  std::vector<std::pair<float, uint32_t>> scratch_;
};

}  // namespace ipfs_accelerate::models
