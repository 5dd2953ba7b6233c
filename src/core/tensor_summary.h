// A few numbers that describe a tensor's values at a glance: what `run` prints for each output.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ipfs_accelerate {

struct TensorSummary {
  DType dtype = DType::kUndefined;
  Shape shape;
  bool numeric = false;               // false for strings and undefined tensors: no statistics
  int64_t count = 0;                  // elements
  int64_t nan = 0;                    // NaN elements (left out of min, max and mean)
  double min = 0, max = 0, mean = 0;  // over the finite and infinite non-NaN values
  std::vector<double> first;          // the first values in C order, as doubles
};

// The summary of `t` with up to `first_n` leading values.
TensorSummary Summarize(const Tensor& t, size_t first_n = 8);

// "float32 [1, 10] min=-1.2 max=3.4 mean=0.05 first: 0.1 0.2 …" on one line.
std::string SummaryText(const TensorSummary& s);

// {"dtype", "shape", "count", "min", "max", "mean", "nan", "first"}; statistics are null when not
// numeric or when there are no values.
nlohmann::json SummaryJson(const TensorSummary& s);

}  // namespace ipfs_accelerate
