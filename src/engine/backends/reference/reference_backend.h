// The reference backend: plain, obviously correct loops for a subset of ops, on one thread, with
// no packing, caching or vectorizing. It is the oracle the kernel tests hold every other backend
// to, and the second backend that proves the seam: a session given {"reference", "cpu"} runs what
// it can here and the rest on the CPU. Shape and attribute rules come from engine/ops/.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"

namespace ipfs_accelerate::engine::reference {

// One op this backend runs: the opsets and dtypes (of input `type_input`) it accepts.
struct OpEntry {
  KernelFn fn;
  int64_t min_opset = 1, max_opset = 1000;
  DTypeSet types;
  int type_input = 0;
};

class ReferenceBackend : public Backend {
 public:
  ReferenceBackend();
  const std::string& name() const override { return name_; }
  bool SupportsOp(const Node& node, const std::vector<DType>& input_dtypes,
                  std::string* why = nullptr) const override;
  KernelFn Resolve(const Node& node) const override;
  Status Run(KernelContext& ctx) const override;
  // Every op it runs, by (domain, op type).
  const std::map<std::pair<std::string, std::string>, OpEntry>& ops() const { return ops_; }

 private:
  const std::string name_ = "reference";
  std::map<std::pair<std::string, std::string>, OpEntry> ops_;
};

// Registration, one function per kernel file.
void RegisterReferenceElementwise(std::map<std::pair<std::string, std::string>, OpEntry>& ops);
void RegisterReferenceLinalg(std::map<std::pair<std::string, std::string>, OpEntry>& ops);
void RegisterReferencePoolNorm(std::map<std::pair<std::string, std::string>, OpEntry>& ops);

}  // namespace ipfs_accelerate::engine::reference
