#include "router/text_inputs.h"

#include <cstring>

namespace ipfs_accelerate::router {
namespace {

bool IsInteger(DType t) {
  switch (t) {
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

// A tensor of `shape` whose every element is `value` (0 or 1) in the integer dtype `dtype`.
Tensor Filled(DType dtype, const Shape& shape, int value) {
  Tensor t = Tensor::Zeros(dtype, shape);
  if (value == 0) return t;
  const size_t size = DTypeSize(dtype);
  auto* bytes = static_cast<uint8_t*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) bytes[i * size] = 1;  // little-endian integers
  return t;
}

}  // namespace

bool MayNeedTextDefaults(const std::map<std::string, Tensor>& inputs) {
  return inputs.count("input_ids") &&
         (!inputs.count("attention_mask") || !inputs.count("token_type_ids"));
}

Status FillTextDefaults(const ModelInfo& model, std::map<std::string, Tensor>* inputs) {
  auto ids = inputs->find("input_ids");
  if (ids == inputs->end()) return Status::Ok();
  for (const TensorInfo& declared : model.inputs) {
    int value = declared.name == "attention_mask" ? 1 : declared.name == "token_type_ids" ? 0 : -1;
    if (value < 0 || inputs->count(declared.name)) continue;
    if (!IsInteger(ids->second.dtype())) {
      return Status::InvalidArgument("input_ids of model " + model.name + " is " +
                                     DTypeName(ids->second.dtype()) +
                                     ": token ids are integers (int64 for BERT-style models)");
    }
    if (!IsInteger(declared.dtype)) {
      return Status::InvalidArgument("model " + model.name + " declares " + declared.name + " as " +
                                     DTypeName(declared.dtype) +
                                     ", not as integers: give it yourself, it cannot be filled");
    }
    try {
      (*inputs)[declared.name] = Filled(declared.dtype, ids->second.shape(), value);
    } catch (const AllocationError& e) {
      return e.status().WithContext(declared.name);
    }
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::router
