// Loading ONNX models (protobuf, through Debian's libonnx) into the engine's graph IR.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/value.h"

namespace ipfs_accelerate::engine {

// Where a model's external data (weights kept beside the .onnx file) is read from: a directory
// on disk, a directory in the store. Each tensor's bytes are read straight into the tensor.
class ExternalData {
 public:
  virtual ~ExternalData() = default;
  // Fills dst with `length` bytes at `offset` of `location` (a relative path inside the model's
  // directory, already checked to stay inside it); an error names a missing or short file.
  virtual Status Read(const std::string& location, uint64_t offset, uint64_t length, void* dst) = 0;
};

// Loads `path`, parsing straight from the file; external data files are read relative to its
// directory.
Result<Model> LoadModel(const std::string& path);

// Parses a serialized ModelProto. `base_dir` resolves external data; empty forbids it.
Result<Model> ParseModel(std::string_view bytes, const std::string& base_dir);
// As above, with external data from `external` (null forbids it).
Result<Model> ParseModel(std::string_view bytes, ExternalData* external);

// Fills dst with the bytes at `offset` of a serialized model.
using ByteReader = std::function<Status(uint64_t offset, std::span<uint8_t> dst)>;

// Parses a model of `size` bytes read piece by piece through `read` (a file in the store), so
// that its bytes are never held whole beside the parsed model: each initializer is freed from
// the parsed message once converted, and external data goes straight into its tensor. Peak
// memory is about one copy of the weights.
Result<Model> ParseModelFrom(uint64_t size, const ByteReader& read, ExternalData* external);

// Parses a serialized TensorProto (the .pb files of ONNX test data); sets `name` when given.
Result<Tensor> ParseTensorProto(std::string_view bytes, std::string* name = nullptr);
// Parses a serialized TensorProto, SequenceProto or OptionalProto, as `info` declares the value
// (test data of sequence and optional inputs and outputs); sets `name` when given.
Result<Value> ParseValueProto(std::string_view bytes, const ValueInfo& info,
                              std::string* name = nullptr);

}  // namespace ipfs_accelerate::engine
