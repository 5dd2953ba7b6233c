#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {

void KernelRegistry::Add(const std::string& op_type, KernelFn fn, int64_t min_opset,
                         int64_t max_opset, const std::string& domain) {
  if (domain.empty()) {
    kernels_[op_type].push_back({fn, min_opset, max_opset});
  } else {
    domain_kernels_[{domain, op_type}].push_back({fn, min_opset, max_opset});
  }
}

KernelFn KernelRegistry::Find(const Node& node) const {
  const std::vector<Entry>* entries = nullptr;
  if (node.domain.empty()) {
    auto it = kernels_.find(node.op_type);
    if (it != kernels_.end()) entries = &it->second;
  } else {
    auto it = domain_kernels_.find({node.domain, node.op_type});
    if (it != domain_kernels_.end()) entries = &it->second;
  }
  if (!entries) return nullptr;
  for (const Entry& e : *entries) {
    if (node.opset >= e.min_opset && node.opset <= e.max_opset) return e.fn;
  }
  return nullptr;
}

std::vector<std::string> KernelRegistry::OpTypes() const {
  std::vector<std::string> out;
  for (const auto& [op, entries] : kernels_) out.push_back(op);
  return out;
}

CpuBackend::CpuBackend() {
  RegisterElementwiseKernels(registry_);
  RegisterTensorKernels(registry_);
  RegisterLinalgKernels(registry_);
  RegisterConvKernels(registry_);
  RegisterNormalizationKernels(registry_);
  RegisterReduceKernels(registry_);
  RegisterFusedKernels(registry_);
}

Status CpuBackend::Run(KernelContext& ctx) {
  KernelFn fn = registry_.Find(ctx.node());
  if (!fn) return Status::Unsupported("the CPU backend has no kernel for " + ctx.node().Describe());
  return fn(ctx);
}

}  // namespace ipfs_accelerate::engine::cpu
