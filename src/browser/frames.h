// The binary frames that carry tensors between the server and a browser worker (web/PROTOCOL.md):
// "IAT1", the header's length (uint32, little-endian), a JSON header, zeros to a multiple of 8,
// then each tensor's bytes at the 8-aligned offset its header entry names. Frames come from pages
// we do not control: DecodeFrame checks everything before a byte is used.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace ipfs_accelerate::browser {

struct Frame {
  nlohmann::json header;  // an object; "tensors" describes `tensors` (EncodeFrame writes it)
  std::vector<std::pair<std::string, Tensor>> tensors;  // in frame order
};

// onnxruntime-web's name of `dtype` ("float32", "int64", "bool", …), or "" for types a page
// cannot hold (bfloat16, string).
std::string WebDTypeName(DType dtype);

// The frame of `frame.header` (its "tensors" replaced by the tensors' descriptions) and tensors.
// kUnsupported for a dtype WebDTypeName has no name for.
Result<std::string> EncodeFrame(const Frame& frame);

// The frame in `bytes`: kInvalidArgument naming what is wrong (the magic, a header length past
// the end, a header that is no JSON object, an unknown dtype, a shape and byte count that
// disagree, bytes outside the payload, a tensor named twice), kResourceExhausted for a tensor
// past kMaxTensorBytes. The tensors are copies: `bytes` may go once it returns.
Result<Frame> DecodeFrame(const std::string& bytes);

}  // namespace ipfs_accelerate::browser
