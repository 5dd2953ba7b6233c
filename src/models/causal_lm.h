// A decoder-only language model with a KV cache, as ONNX exports of GPT-2- and Llama-style models
// present it: input_ids, optionally attention_mask and position_ids, one past key and value per
// layer ("past_key_values.N.key"/".value", or "past_key_N"/"past_value_N"), and logits with one
// present key and value per layer ("present.N.key", "present_key_N"). Its caches are laid out
// for batches whose rows have different lengths: each row's cache right-aligned, the positions
// before it masked out (attention_mask 0), so a row's tokens are those it gets alone.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/session.h"

namespace ipfs_accelerate::models {

// One sequence's cache: per layer key then value, each [1, heads, length, head_dim].
struct KvCache {
  std::vector<Tensor> kv;
  int64_t length = 0;
};

// The caches of the rows of a batch: per layer key then value, each [rows, heads, T, head_dim],
// row r's `lengths[r]` positions at the right end (T = the longest).
struct KvBatch {
  std::vector<Tensor> kv;
  std::vector<int64_t> lengths;
  int64_t width = 0;  // T
  size_t rows() const { return lengths.size(); }
};

class CausalLm {
 public:
  // Finds the inputs and outputs above (kInvalidArgument naming what is missing) and creates the
  // session. `max_positions`: the model's context length (0: not known, not checked).
  static Result<std::unique_ptr<CausalLm>> Create(engine::Model model,
                                                  engine::SessionOptions options = {},
                                                  int64_t max_positions = 0);

  // Runs a prompt (positions 0…n-1) alone: the logits of its last position, and its cache.
  Result<std::vector<float>> Prefill(std::span<const uint32_t> tokens, KvCache* cache) const;
  // One decode step for every row: `tokens` holds each row's newest token. Returns the logits,
  // rows × vocab; every row's cache grows by one.
  Result<std::vector<float>> Step(KvBatch& batch, std::span<const uint32_t> tokens) const;

  // Adds a sequence's cache as the last row.
  void AddRow(KvBatch& batch, KvCache cache) const;
  // Keeps the rows whose `keep` entry is true, in order.
  void KeepRows(KvBatch& batch, const std::vector<bool>& keep) const;

  // Whether rows of different lengths can share a step (the model takes attention_mask and
  // position_ids); otherwise every batch must hold one row.
  bool batches_ragged() const { return !mask_input_.empty() && !position_input_.empty(); }
  int64_t vocab() const { return vocab_; }
  int64_t max_positions() const { return max_positions_; }

 private:
  CausalLm() = default;
  Result<std::vector<float>> Run(std::map<std::string, Tensor> feeds, int64_t rows,
                                 std::vector<Tensor>* presents) const;
  Tensor EmptyPast(int64_t rows) const;

  std::unique_ptr<engine::Session> session_;
  std::string ids_input_, mask_input_, position_input_, logits_output_;
  std::vector<std::string> past_inputs_, present_outputs_;  // per layer: key, value
  int64_t heads_ = 0, head_dim_ = 0, vocab_ = 0, max_positions_ = 0;
  DType ids_dtype_ = DType::kInt64;
};

}  // namespace ipfs_accelerate::models
