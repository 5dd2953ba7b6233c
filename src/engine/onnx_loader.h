// Loading ONNX models (protobuf, through Debian's libonnx) into the engine's graph IR.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine {

// Loads `path`; external data files are read relative to its directory.
Result<Model> LoadModel(const std::string& path);

// Parses a serialized ModelProto. `base_dir` resolves external data; empty forbids it.
Result<Model> ParseModel(std::string_view bytes, const std::string& base_dir);

// Parses a serialized TensorProto (the .pb files of ONNX test data); sets `name` when given.
Result<Tensor> ParseTensorProto(std::string_view bytes, std::string* name = nullptr);

}  // namespace ipfs_accelerate::engine
