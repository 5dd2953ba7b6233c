// Tensors read from files: the inputs a user hands to a model.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace ipfs_accelerate::models {

// A tensor from a .npy file or an ONNX TensorProto (.pb) file.
Result<Tensor> LoadTensorFile(const std::string& path);

// Model inputs given as "NAME=FILE" strings (--input), each file read by LoadTensorFile.
Result<std::map<std::string, Tensor>> LoadInputSpecs(const std::vector<std::string>& specs);

}  // namespace ipfs_accelerate::models
