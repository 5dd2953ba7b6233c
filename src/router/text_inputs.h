// Text models called with token ids alone, as Hugging Face transformers allows: the inputs a
// BERT-style model declares beside input_ids are filled the way transformers fills them when a
// caller leaves them out. For every front end that takes token ids (Python's run_model/process).
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "router/router.h"

namespace ipfs_accelerate::router {

// When `inputs` holds input_ids and `model` declares attention_mask or token_type_ids that
// `inputs` lacks, adds them with input_ids' shape and their declared integer dtype:
// attention_mask all ones (every token attended), token_type_ids all zeros (one segment).
// Leaves everything else alone: other missing inputs stay missing (the router names them).
// kInvalidArgument when input_ids is no integer tensor or a filled input's declared dtype is not
// an integer type.
Status FillTextDefaults(const ModelInfo& model, std::map<std::string, Tensor>* inputs);

// Whether FillTextDefaults may add anything to `inputs` (cheap: names only).
bool MayNeedTextDefaults(const std::map<std::string, Tensor>& inputs);

}  // namespace ipfs_accelerate::router
