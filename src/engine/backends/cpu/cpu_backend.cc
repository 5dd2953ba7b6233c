#include "engine/backends/cpu/cpu_backend.h"

#include "engine/backends/cpu/layout_nhwc.h"

namespace ipfs_accelerate::engine::cpu {

KernelRegistry::Entry& KernelRegistry::Add(const std::string& op_type, KernelFn fn,
                                           int64_t min_opset, int64_t max_opset,
                                           const std::string& domain) {
  auto& entries = kernels_[{domain, op_type}];
  entries.push_back({fn, min_opset, max_opset});
  return entries.back();
}

const KernelRegistry::Entry* KernelRegistry::Find(const Node& node) const {
  auto it = kernels_.find({node.domain, node.op_type});
  if (it == kernels_.end()) return nullptr;
  for (const Entry& e : it->second) {
    if (node.opset >= e.min_opset && node.opset <= e.max_opset) return &e;
  }
  return nullptr;
}

std::vector<std::pair<std::pair<std::string, std::string>, std::vector<KernelRegistry::Entry>>>
KernelRegistry::All() const {
  return {kernels_.begin(), kernels_.end()};
}

// Registration functions of the kernel files declared here rather than in cpu_backend.h (a
// change there recompiles every kernel): detection.cc, grid_sample.cc, linalg_det.cc, signal.cc,
// quantize.cc, tfidf_vectorizer.cc, training.cc, sequence.cc and string_ops.cc.
void RegisterDetectionKernels(KernelRegistry& r);
void RegisterSignalKernels(KernelRegistry& r);
void RegisterQuantizeKernels(KernelRegistry& r);
void RegisterGridSampleKernels(KernelRegistry& r);
void RegisterDetKernels(KernelRegistry& r);
void RegisterTfIdfVectorizerKernels(KernelRegistry& r);
void RegisterGroupNormKernels(KernelRegistry& r);
void RegisterImage18Kernels(KernelRegistry& r);
void RegisterTrainingKernels(KernelRegistry& r);
void RegisterSequenceKernels(KernelRegistry& r);
void RegisterStringKernels(KernelRegistry& r);

CpuBackend::CpuBackend() {
  RegisterElementwiseKernels(registry_);
  RegisterTensorKernels(registry_);
  RegisterLinalgKernels(registry_);
  RegisterConvKernels(registry_);
  RegisterNormalizationKernels(registry_);
  RegisterReduceKernels(registry_);
  RegisterRecurrentKernels(registry_);
  RegisterDetectionKernels(registry_);
  RegisterGridSampleKernels(registry_);
  RegisterDetKernels(registry_);
  RegisterSignalKernels(registry_);
  RegisterQuantizeKernels(registry_);
  RegisterFusedKernels(registry_);
  RegisterTfIdfVectorizerKernels(registry_);
  RegisterGroupNormKernels(registry_);
  RegisterImage18Kernels(registry_);
  RegisterTrainingKernels(registry_);
  RegisterSequenceKernels(registry_);
  RegisterStringKernels(registry_);
}

bool CpuBackend::SupportsOp(const Node& node, const std::vector<DType>& input_dtypes,
                            std::string* why) const {
  const KernelRegistry::Entry* e = registry_.Find(node);
  if (!e) {
    if (why) *why = "no kernel for " + node.op_type + " at opset " + std::to_string(node.opset);
    return false;
  }
  const size_t i = static_cast<size_t>(e->type_input);
  if (i < input_dtypes.size() && input_dtypes[i] != DType::kUndefined &&
      !e->types.Has(input_dtypes[i])) {
    if (why) {
      *why = node.op_type + " runs " + e->types.ToString() + ", not " + DTypeName(input_dtypes[i]);
    }
    return false;
  }
  return true;
}

std::vector<std::pair<std::string, Backend::GraphPass>> CpuBackend::GraphPasses() const {
  return {{"ConvertToNhwc", ConvertToNhwc}, {"FuseNhwcConvEpilogue", FuseNhwcConvEpilogue}};
}

KernelFn CpuBackend::Resolve(const Node& node) const {
  const KernelRegistry::Entry* e = registry_.Find(node);
  return e ? e->fn : nullptr;
}

Status CpuBackend::Run(KernelContext& ctx) const {
  const KernelRegistry::Entry* e = registry_.Find(ctx.node());
  if (!e) return Status::Unsupported("the CPU backend has no kernel for " + ctx.node().Describe());
  return e->fn(ctx);
}

onednn::PrimitiveCache* PrimitivesOf(const KernelContext& ctx) {
  const auto* cpu = dynamic_cast<const CpuBackend*>(ctx.backend());
  return cpu ? &cpu->primitives() : nullptr;
}

}  // namespace ipfs_accelerate::engine::cpu
