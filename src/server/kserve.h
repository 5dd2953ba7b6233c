// The Open Inference Protocol (KServe v2) over REST, as Triton speaks it: inference requests and
// responses in JSON, with the binary tensor data extension, model metadata and statistics.
// Pure translation between bytes and the router's types; the routes are in server/app.cc.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "router/router.h"

namespace ipfs_accelerate::server {

// "FP32", "INT64", "BOOL", …; "" for a dtype the protocol has no name for.
std::string DatatypeName(DType dtype);
// The dtype of a protocol datatype name; kInvalidArgument listing the names otherwise, and
// kUnsupported for BYTES (this engine has no string tensors yet).
Result<DType> ParseDatatype(const std::string& name);

// A decoded inference request and how its answer is wanted.
struct InferCall {
  router::InferRequest request;
  bool all_binary = false;               // parameters.binary_data_output
  std::set<std::string> binary_outputs;  // outputs[i].parameters.binary_data
};

// Decodes the body of POST /v2/models/{m}/infer. `header_length` is the value of the
// Inference-Header-Content-Length header when present: the JSON is the body's first bytes and
// the binary tensor data follows, in input order. Every size is checked before anything is
// allocated: declared shapes against the data given (elements, or binary_data_size bytes), and
// the binary sizes against the bytes that follow. kInvalidArgument naming the input and the
// mismatch.
Result<InferCall> DecodeInferRequest(const std::string& body,
                                     std::optional<uint64_t> header_length);

// An encoded response body, and the Inference-Header-Content-Length to send (binary outputs).
struct EncodedResponse {
  std::string body;
  std::optional<uint64_t> header_length;
};
EncodedResponse EncodeInferResponse(const router::InferResponse& response, const InferCall& call);

// The model metadata object (GET /v2/models/{m}): name, versions (the CID), platform, inputs and
// outputs with datatypes and shapes (-1 for dynamic dimensions).
nlohmann::json ModelMetadata(const router::ModelInfo& info);
// One entry of the statistics extension's "model_stats" (Triton's layout).
nlohmann::json ModelStatistics(const router::ModelStats& stats);
// An encoded inference request (JSON, or binary with the header length): what a client sends.
// Used by the load generator, tests and benchmarks.
EncodedResponse EncodeInferRequest(const router::InferRequest& request, bool binary_inputs,
                                   bool binary_outputs);

}  // namespace ipfs_accelerate::server
