// Dynamic batching's data work: which requests may share one run, and merging their inputs along
// the batch dimension (the first) and splitting the outputs back.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "router/router.h"

namespace ipfs_accelerate::router {

// What a request looks like to the batcher. Requests with equal `shape` merge.
struct BatchKey {
  int64_t items = 1;       // its size along the batch dimension
  bool mergeable = false;  // it may share a run with others of the same shape
  std::string shape;       // dtypes and dimensions past the first of its inputs, outputs asked
};

// Checks `request` against the model (`info`): every input given and known, dtypes, ranks and
// fixed dimensions as declared, outputs asked for exist. kInvalidArgument naming the first
// mismatch. `batchable`: the model takes a dynamic first dimension on every input and output.
Result<BatchKey> ClassifyRequest(const ModelInfo& info, bool batchable,
                                 const InferRequest& request);

// Whether every input and output of the model has a dynamic first dimension.
bool IsBatchable(const ModelInfo& info);

// The tensors of `parts`, name by name, concatenated along their first dimension. All parts have
// the same names, dtypes and dimensions past the first.
Result<std::map<std::string, Tensor>> Concat(
    const std::vector<const std::map<std::string, Tensor>*>& parts);

// Rows [begin, end) of `t`'s first dimension, copied.
Tensor SliceRows(const Tensor& t, int64_t begin, int64_t end);

// Splits every tensor of `outputs` along its first dimension into pieces of `items[i]` rows.
// kInvalidArgument when an output's first dimension is not the sum of `items` (a model whose
// outputs do not follow its batch dimension).
Result<std::vector<std::map<std::string, Tensor>>> Split(
    const std::map<std::string, Tensor>& outputs, const std::vector<int64_t>& items);

}  // namespace ipfs_accelerate::router
