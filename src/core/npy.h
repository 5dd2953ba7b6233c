// NumPy .npy files (format 1.0-3.0, little-endian, C order): how tensors enter and leave the CLI.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/tensor.h"

namespace ipfs_accelerate {

// The tensor in a .npy file. Strict, as NumPy writes them: the header is a dict with exactly the
// keys descr, fortran_order and shape (each once), ends with a newline, and the shape is a tuple
// of non-negative integers; the data is exactly as long as the shape says. Anything else is
// kInvalidArgument (kUnsupported for big-endian or other dtypes and Fortran order) saying what
// is wrong and where in the header.
Result<Tensor> ParseNpy(std::string_view bytes);
// A version 1.0 .npy file holding `t` (C order, little-endian), as numpy.save writes it.
std::string EncodeNpy(const Tensor& t);

}  // namespace ipfs_accelerate
