// What a graph edge carries: a tensor (nearly always), a sequence of tensors, or an optional that
// holds nothing. ONNX's optional that holds something is represented by that thing itself, as
// ONNX Runtime does; kernels that take tensors never see the other kinds (the session refuses
// them before the kernel runs, see ops::TakesNonTensors), and an empty optional given to one of
// their optional inputs reads as the input left out.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ipfs_accelerate::engine {

class Value {
 public:
  enum class Kind : uint8_t { kUndefined, kTensor, kSequence, kNone };

  Value() = default;
  // A tensor (undefined when `t` is).
  Value(Tensor t)  // NOLINT(google-explicit-constructor): a tensor is the common value
      : kind_(t.defined() ? Kind::kTensor : Kind::kUndefined), tensor_(std::move(t)) {}
  // A sequence of tensors of `dtype` (which every item has; checked by the kernels that build
  // one). Its items are shared, never modified: an insert makes a new sequence.
  static Value Sequence(DType dtype, std::vector<Tensor> items) {
    Value v;
    v.kind_ = Kind::kSequence;
    v.dtype_ = dtype;
    v.items_ = std::make_shared<const std::vector<Tensor>>(std::move(items));
    return v;
  }
  // An optional holding nothing.
  static Value None() {
    Value v;
    v.kind_ = Kind::kNone;
    return v;
  }

  Kind kind() const { return kind_; }
  bool defined() const { return kind_ != Kind::kUndefined; }
  bool is_tensor() const { return kind_ == Kind::kTensor; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_none() const { return kind_ == Kind::kNone; }

  // The tensor; an undefined one for the other kinds.
  const Tensor& tensor() const { return tensor_; }
  Tensor& tensor() { return tensor_; }
  // A sequence's items (empty for the other kinds) and their dtype.
  const std::vector<Tensor>& items() const {
    static const std::vector<Tensor> kNoItems;
    return items_ ? *items_ : kNoItems;
  }
  DType sequence_dtype() const { return dtype_; }

  // "float32 [2, 3]", "sequence of 3 float32 tensors", "an empty optional", "undefined".
  std::string Describe() const {
    switch (kind_) {
      case Kind::kTensor:
        return DTypeName(tensor_.dtype()) + " " + ShapeToString(tensor_.shape());
      case Kind::kSequence:
        return "sequence of " + std::to_string(items().size()) + " " + DTypeName(dtype_) +
               " tensors";
      case Kind::kNone:
        return "an empty optional";
      case Kind::kUndefined:
        break;
    }
    return "undefined";
  }

 private:
  Kind kind_ = Kind::kUndefined;
  DType dtype_ = DType::kUndefined;  // a sequence's
  Tensor tensor_;
  std::shared_ptr<const std::vector<Tensor>> items_;
};

}  // namespace ipfs_accelerate::engine
