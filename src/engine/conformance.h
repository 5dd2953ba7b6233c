// Running ONNX backend test cases: a folder with model.onnx and test_data_set_*/{input,output}_K.pb.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::engine {

struct ConformanceResult {
  enum class Outcome { kPassed, kFailed, kSkipped };
  std::string name;
  Outcome outcome = Outcome::kFailed;
  std::string reason;  // why it failed or was skipped
};

// Runs one case folder. Skips (with the reason) what the engine does not aim to run: string
// tensors, sequence/optional values, training ops. Compares outputs as the ONNX backend tests
// do: rtol 1e-3, atol 1e-7, exact for integers and booleans, NaN equal to NaN.
ConformanceResult RunConformanceCase(const std::string& dir, int threads);

// The case folders under `path`: itself when it holds model.onnx, else its subfolders that do.
std::vector<std::string> FindConformanceCases(const std::string& path);

}  // namespace ipfs_accelerate::engine
