// The arithmetic a session runs its matrix products in, chosen when it is created
// (SessionOptions::precision): the model's own (fp32), bfloat16, or int8 with the activations
// quantized per call. What is converted is said by the optimizer's summary (LowerPrecision).
#pragma once

#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate::engine {

enum class Precision { kFp32, kBf16, kInt8 };

// "fp32", "bf16", "int8".
const char* PrecisionName(Precision precision);
// The precision named `name`; an error listing the choices for any other word.
Result<Precision> ParsePrecision(std::string_view name);

}  // namespace ipfs_accelerate::engine
