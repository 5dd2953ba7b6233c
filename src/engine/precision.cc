#include "engine/precision.h"

#include <string>

namespace ipfs_accelerate::engine {

namespace {
constexpr Precision kAll[] = {Precision::kFp32, Precision::kBf16, Precision::kInt8};
}

const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
  }
  return "?";
}

Result<Precision> ParsePrecision(std::string_view name) {
  for (Precision p : kAll) {
    if (name == PrecisionName(p)) return p;
  }
  return Status::InvalidArgument("unknown precision '" + std::string(name) +
                                 "' (choose fp32, bf16 or int8)");
}

}  // namespace ipfs_accelerate::engine
