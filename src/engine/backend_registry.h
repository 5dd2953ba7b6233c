// The backends a session can place nodes on, by name: each entry says what the backend is and
// makes one. Sessions take their backends from BuiltinBackends() unless given a registry of
// their own (a test's, or an application's with an out-of-tree backend).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/backend.h"

namespace ipfs_accelerate::engine {

// What a backend gets when a session creates it.
struct BackendConfig {
  int threads = 1;  // the session's thread budget (see SessionOptions::threads)
};

struct BackendEntry {
  std::string name;  // as SessionOptions::backends names it
  DeviceKind device = DeviceKind::kHost;
  std::string description;  // one line for `ipfs-accelerate backends` and errors
  std::function<std::unique_ptr<Backend>(const BackendConfig&)> create;
};

class BackendRegistry {
 public:
  // Adds `entry`; a second entry of the same name replaces the first.
  void Add(BackendEntry entry);
  // The entry named `name`, or kNotFound listing the names there are.
  Result<const BackendEntry*> Find(const std::string& name) const;
  const std::vector<BackendEntry>& entries() const { return entries_; }

 private:
  std::vector<BackendEntry> entries_;
};

// The backends built into this binary: "cpu" (oneDNN and our kernels; the fallback for every
// node) and "reference" (plain loops for a subset of ops, the oracle of the kernel tests).
const BackendRegistry& BuiltinBackends();

}  // namespace ipfs_accelerate::engine
