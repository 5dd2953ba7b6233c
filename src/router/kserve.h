// The Open Inference Protocol (KServe v2) over REST, as Triton speaks it: inference requests and
// responses in JSON, with the binary tensor data extension, model metadata and statistics.
// Pure translation between bytes and the router's types, both ways: the server's side (decode
// requests, encode responses and metadata; the routes are in server/app.cc) and the client's
// (encode requests, decode responses, read metadata: server/loadgen.h, router/remote.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "router/router.h"

namespace ipfs_accelerate::router {

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

// An encoded request or response body, and the Inference-Header-Content-Length to send with it
// when binary tensor data follows the JSON.
struct EncodedBody {
  std::string body;
  std::optional<uint64_t> header_length;
};
EncodedBody EncodeInferResponse(const router::InferResponse& response, const InferCall& call);
// Decodes the body of an inference response (ours or Triton's): outputs with inline "data" or
// binary_data_size bytes after the JSON (`header_length` as for DecodeInferRequest). Every size
// is checked against the shape and the bytes given; kInvalidArgument naming the output otherwise.
Result<InferResponse> DecodeInferResponse(const std::string& body,
                                          std::optional<uint64_t> header_length);

// Named tensors in the order they go on the wire (and their binary data after the JSON).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What a client sends to POST /v2/models/{m}/infer.
struct ClientRequest {
  std::string id;                    // "" for none
  NamedTensors inputs;               // in this order on the wire
  std::vector<std::string> outputs;  // the outputs wanted, by name; every output when empty
  bool binary_inputs = false;        // each input's raw little-endian bytes after the JSON
  bool binary_outputs = false;       // parameters.binary_data_output: every output in binary
};
// The body a client sends: JSON inputs with flat row-major "data", or with binary_inputs each
// with "parameters":{"binary_data_size":N} and header_length set. What DecodeInferRequest reads.
// kUnsupported naming the input when its dtype has no datatype the protocol can carry.
Result<EncodedBody> EncodeInferRequest(const ClientRequest& request);

// The model metadata object (GET /v2/models/{m}): name, versions (the CID), platform, inputs and
// outputs with datatypes and shapes (-1 for dynamic dimensions).
nlohmann::json ModelMetadata(const router::ModelInfo& info);
// Reads a model metadata object, ours (ModelMetadata) or another server's (Triton, KServe):
// name, cid (properties.cid, else the first of "versions"; "" without either), inputs (required,
// at least one) and outputs (when given); settings are left as they are. kInvalidArgument naming
// what is missing or malformed; kUnsupported for a BYTES tensor.
Result<router::ModelInfo> ParseModelMetadata(const nlohmann::json& metadata);
// One entry of the statistics extension's "model_stats" (Triton's layout).
nlohmann::json ModelStatistics(const router::ModelStats& stats);

}  // namespace ipfs_accelerate::router
