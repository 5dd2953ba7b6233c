#include "models/sampling.h"

#include <algorithm>
#include <cmath>

namespace ipfs_accelerate::models {

Status SamplingOptions::Validate() const {
  auto bad = [](const std::string& what) { return Status::InvalidArgument(what); };
  if (max_new_tokens < 0) return bad("max_tokens must be 0 or more");
  if (!(temperature >= 0) || temperature > 100) return bad("temperature must be from 0 to 100");
  if (top_k < 0) return bad("top_k must be 0 (off) or more");
  if (!(top_p > 0) || top_p > 1) return bad("top_p must be above 0 and at most 1");
  if (!(repetition_penalty > 0) || repetition_penalty > 100) {
    return bad("repetition_penalty must be above 0 and at most 100");
  }
  return Status::Ok();
}

Sampler::Sampler(const SamplingOptions& options, std::span<const uint32_t> context)
    : options_(options), seen_(context.begin(), context.end()), state_(options.seed) {}

double Sampler::Uniform() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

uint32_t Sampler::Next(std::span<float> logits) {
  if (options_.repetition_penalty != 1) {
    const float p = options_.repetition_penalty;
    for (uint32_t t : seen_) {
      if (t < logits.size()) logits[t] = logits[t] < 0 ? logits[t] * p : logits[t] / p;
    }
  }
  uint32_t chosen = 0;
  if (options_.temperature == 0) {
    chosen = static_cast<uint32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  } else {
    // The candidates, most likely first (only the top k are sorted when k is set).
    scratch_.clear();
    for (uint32_t i = 0; i < logits.size(); ++i) scratch_.emplace_back(logits[i], i);
    auto by_logit = [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    size_t keep = scratch_.size();
    if (options_.top_k > 0 && static_cast<size_t>(options_.top_k) < keep) {
      keep = static_cast<size_t>(options_.top_k);
      std::partial_sort(scratch_.begin(), scratch_.begin() + keep, scratch_.end(), by_logit);
    } else {
      std::sort(scratch_.begin(), scratch_.end(), by_logit);
    }
    scratch_.resize(keep);
    // Softmax at the temperature, then the nucleus: the fewest tokens whose mass reaches top_p.
    const double max = scratch_[0].first;
    std::vector<double> probs(keep);
    double sum = 0;
    for (size_t i = 0; i < keep; ++i) {
      probs[i] = std::exp((scratch_[i].first - max) / options_.temperature);
      sum += probs[i];
    }
    if (options_.top_p < 1) {
      double mass = 0;
      size_t n = 0;
      while (n < keep && mass < options_.top_p * sum) mass += probs[n++];
      keep = std::max<size_t>(n, 1);
      sum = 0;
      for (size_t i = 0; i < keep; ++i) sum += probs[i];
    }
    double u = Uniform() * sum;
    chosen = scratch_[keep - 1].second;
    for (size_t i = 0; i < keep; ++i) {
      if (u < probs[i]) {
        chosen = scratch_[i].second;
        break;
      }
      u -= probs[i];
    }
  }
  seen_.insert(chosen);
  return chosen;
}

}  // namespace ipfs_accelerate::models
