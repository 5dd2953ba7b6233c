#include "engine/backend_registry.h"

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/reference/reference_backend.h"

namespace ipfs_accelerate::engine {

void BackendRegistry::Add(BackendEntry entry) {
  for (BackendEntry& e : entries_) {
    if (e.name == entry.name) {
      e = std::move(entry);
      return;
    }
  }
  entries_.push_back(std::move(entry));
}

Result<const BackendEntry*> BackendRegistry::Find(const std::string& name) const {
  std::string names;
  for (const BackendEntry& e : entries_) {
    if (e.name == name) return &e;
    names += (names.empty() ? "" : ", ") + e.name;
  }
  return Status::NotFound("no backend named '" + name + "' (this build has: " + names + ")");
}

const BackendRegistry& BuiltinBackends() {
  static const BackendRegistry registry = [] {
    BackendRegistry r;
    r.Add({"cpu", DeviceKind::kHost, "oneDNN and vectorized kernels on this machine's cores",
           [](const BackendConfig&) { return std::make_unique<cpu::CpuBackend>(); }});
    r.Add({"reference", DeviceKind::kHost,
           "plain loops for a subset of ops, one thread: the oracle other backends are tested "
           "against",
           [](const BackendConfig&) { return std::make_unique<reference::ReferenceBackend>(); }});
    return r;
  }();
  return registry;
}

}  // namespace ipfs_accelerate::engine
