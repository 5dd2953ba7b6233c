// The CPU backend: a table of kernels by op type, each registered by the file that implements it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/backend.h"

namespace ipfs_accelerate::engine::cpu {

using KernelFn = Status (*)(KernelContext& ctx);

class KernelRegistry {
 public:
  // Registers `fn` for `op_type` of `domain` ("" is the default ONNX domain) for opsets
  // [min_opset, max_opset].
  void Add(const std::string& op_type, KernelFn fn, int64_t min_opset = 1, int64_t max_opset = 1000,
           const std::string& domain = "");
  // The kernel for `node` (its domain, op type and opset), or null.
  KernelFn Find(const Node& node) const;
  std::vector<std::string> OpTypes() const;

 private:
  struct Entry {
    KernelFn fn;
    int64_t min_opset, max_opset;
  };
  std::map<std::string, std::vector<Entry>> kernels_;  // by op type, default domain
  // By (domain, op type), other domains.
  std::map<std::pair<std::string, std::string>, std::vector<Entry>> domain_kernels_;
};

// One registration function per kernel file (backends/cpu/<group>.cc).
void RegisterElementwiseKernels(KernelRegistry& r);
void RegisterTensorKernels(KernelRegistry& r);
void RegisterLinalgKernels(KernelRegistry& r);
void RegisterConvKernels(KernelRegistry& r);
void RegisterNormalizationKernels(KernelRegistry& r);
void RegisterReduceKernels(KernelRegistry& r);
// The fused operators of the ai.ipfs_accelerate domain that the optimizer emits.
void RegisterFusedKernels(KernelRegistry& r);

class CpuBackend : public Backend {
 public:
  CpuBackend();
  std::string name() const override { return "cpu"; }
  bool SupportsOp(const Node& node) const override { return registry_.Find(node) != nullptr; }
  Status Run(KernelContext& ctx) override;
  const KernelRegistry& registry() const { return registry_; }

 private:
  KernelRegistry registry_;
};

}  // namespace ipfs_accelerate::engine::cpu
