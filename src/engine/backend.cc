#include "engine/backend.h"

namespace ipfs_accelerate::engine {

std::string DTypeSet::ToString() const {
  if (all()) return "any";
  std::string s;
  for (DType t : Members()) s += (s.empty() ? "" : ", ") + DTypeName(t);
  return s.empty() ? "none" : s;
}

std::vector<DType> DTypeSet::Members() const {
  std::vector<DType> out;
  if (all()) return out;
  for (int i = 1; i < 32; ++i) {
    DType t = static_cast<DType>(i);
    if (Has(t) && DTypeSize(t) > 0) out.push_back(t);
  }
  return out;
}

const char* DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kHost:
      return "host";
    case DeviceKind::kGpu:
      return "gpu";
    case DeviceKind::kBrowser:
      return "browser";
  }
  return "?";
}

}  // namespace ipfs_accelerate::engine
