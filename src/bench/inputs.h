// Inputs for a benchmark, made from what the model declares: named dynamic dimensions take the
// configuration's batch and sequence length, floats are random normal, integer inputs stay in a
// range the model accepts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::bench {

struct InputShape {
  int64_t batch = 1;
  int64_t seq = 128;
  std::map<std::string, int64_t> dims;  // other named dimensions (--dim NAME=N)
};

// Which of the configuration's knobs the model's inputs have: a model without a sequence
// dimension is measured once, not once per --seq.
struct ModelDims {
  bool has_batch = false;
  bool has_seq = false;
};
ModelDims InspectDims(const engine::Model& model);

// Tensors for every graph input that `given` does not hold (given ones are passed through).
// Dimension names: batch-like ("batch", "batch_size", "N") take shape.batch, sequence-like
// ("sequence", "seq_len", "tokens", …) shape.seq, names in shape.dims their value, "past…"
// names 0; an unnamed dynamic leading dimension is the batch. Integer inputs: attention masks all
// ones, token ids uniform below the row count of the embedding table they index (found in the
// graph), others 0. Errors name the input and dimension that cannot be sized.
Result<std::map<std::string, Tensor>> SynthesizeInputs(const engine::Model& model,
                                                       const InputShape& shape,
                                                       const std::map<std::string, Tensor>& given,
                                                       uint64_t seed);

// The names a caller may feed: every graph input, including those with an initializer as default.
std::vector<std::string> InputNames(const engine::Model& model);

// kInvalidArgument when `given` names something the model does not take as an input: "the model
// has no input named 'y' (its inputs: a, b)".
Status CheckInputNames(const engine::Model& model, const std::map<std::string, Tensor>& given);

// The row count of the embedding table (an initializer read by Gather) that integer input `name`
// indexes, through Cast/Reshape/Unsqueeze-like nodes; 0 when the graph shows none.
int64_t EmbeddingRows(const engine::Graph& graph, const std::string& name);

}  // namespace ipfs_accelerate::bench
