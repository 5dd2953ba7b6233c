// NumPy .npy files (format 1.0-3.0, little-endian, C order): how tensors enter and leave the CLI.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"

namespace ipfs_accelerate {

Result<Tensor> ParseNpy(std::string_view bytes);
std::string EncodeNpy(const Tensor& t);

}  // namespace ipfs_accelerate
