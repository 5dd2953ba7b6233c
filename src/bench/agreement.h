// How far a model's outputs at another precision are from its float32 outputs on the same
// inputs: what `bench --precision` records beside the speed.
#pragma once

#include <map>
#include <string>

#include "core/tensor.h"

namespace ipfs_accelerate::bench {

struct Agreement {
  // Cosine similarity of every float32 output, taken together as one vector (NaN when there is
  // none, or one is all zeros).
  double cosine;
  // The share of rows whose largest value sits at the same index, over the float32 outputs of
  // rank 2 ([batch, classes]: a classifier's logits); NaN when there are none.
  double top1;
};

// `reference` (float32) against `other`, output by output of the same name and shape; outputs
// that differ in dtype or shape are left out.
Agreement CompareOutputs(const std::map<std::string, Tensor>& reference,
                         const std::map<std::string, Tensor>& other);

}  // namespace ipfs_accelerate::bench
