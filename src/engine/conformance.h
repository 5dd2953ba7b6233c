// Running ONNX backend test cases: a folder with model.onnx and
// test_data_set_*/{input,output}_K.pb.
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

// Runs one case folder, in a child process of its own: a case that crashes fails alone, its
// reason naming the signal ("crashed: SIGSEGV"), and one that runs past kCaseTimeoutSeconds
// fails with kDeadlineExceeded. Skips (with the reason) what the engine does not aim to run:
// values of kinds it does not hold (maps). Compares outputs as the ONNX backend
// tests do: rtol 1e-3, atol 1e-7, exact for integers and booleans, NaN equal to NaN.
// Call it from a process that has not started oneDNN or thread pools of its own (fork).
ConformanceResult RunConformanceCase(const std::string& dir, int threads);
constexpr int kCaseTimeoutSeconds = 300;

// The case folders under `path`: itself when it holds model.onnx, else its subfolders that do.
std::vector<std::string> FindConformanceCases(const std::string& path);

}  // namespace ipfs_accelerate::engine
