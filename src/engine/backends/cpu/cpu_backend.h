// The CPU backend: a table of kernels by op type, each registered by the file that implements it
// with the opsets and input dtypes it runs; oneDNN primitives cached per backend object.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/backends/cpu/onednn_util.h"

namespace ipfs_accelerate::engine::cpu {

class KernelRegistry {
 public:
  struct Entry {
    KernelFn fn;
    int64_t min_opset, max_opset;
    // The dtypes the kernel runs for input `type_input` (its "T" in the ONNX schema).
    DTypeSet types = DTypeSet::All();
    int type_input = 0;

    // Narrows the entry to `types` for input `input`: SupportsOp refuses other dtypes.
    Entry& Types(DTypeSet t, int input = 0) {
      types = t;
      type_input = input;
      return *this;
    }
  };

  // Registers `fn` for `op_type` of `domain` ("" is the default ONNX domain) for opsets
  // [min_opset, max_opset], for every dtype until narrowed with Types. The reference stays valid
  // until the next Add.
  Entry& Add(const std::string& op_type, KernelFn fn, int64_t min_opset = 1,
             int64_t max_opset = 1000, const std::string& domain = "");
  // The entry for `node` (its domain, op type and opset), or null.
  const Entry* Find(const Node& node) const;
  // Every (domain, op type) with its entries, for the kernel tests' coverage.
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<Entry>>> All() const;

 private:
  // By (domain, op type); "" is the default domain.
  std::map<std::pair<std::string, std::string>, std::vector<Entry>> kernels_;
};

// One registration function per kernel file (backends/cpu/<group>.cc).
void RegisterElementwiseKernels(KernelRegistry& r);
void RegisterTensorKernels(KernelRegistry& r);
void RegisterLinalgKernels(KernelRegistry& r);
void RegisterConvKernels(KernelRegistry& r);
void RegisterNormalizationKernels(KernelRegistry& r);
void RegisterReduceKernels(KernelRegistry& r);
void RegisterRecurrentKernels(KernelRegistry& r);
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear (backends/cpu/quantize.cc).
void RegisterQuantizeKernels(KernelRegistry& r);
// The fused operators of the ai.ipfs_accelerate domain that the optimizer emits.
void RegisterFusedKernels(KernelRegistry& r);

class CpuBackend : public Backend {
 public:
  CpuBackend();
  const std::string& name() const override { return name_; }
  bool SupportsOp(const Node& node, const std::vector<DType>& input_dtypes,
                  std::string* why = nullptr) const override;
  KernelFn Resolve(const Node& node) const override;
  Status Run(KernelContext& ctx) const override;
  // ConvertToNhwc and FuseNhwcConvEpilogue (layout_nhwc.h).
  std::vector<std::pair<std::string, GraphPass>> GraphPasses() const override;
  const KernelRegistry& registry() const { return registry_; }
  // The oneDNN primitives this backend's kernels built (thread-safe).
  onednn::PrimitiveCache& primitives() const { return primitives_; }

 private:
  const std::string name_ = "cpu";
  KernelRegistry registry_;
  mutable onednn::PrimitiveCache primitives_;
};

// The primitive cache of the CPU backend running `ctx`, or null when another backend (or none)
// runs it: kernels then build their primitives uncached.
onednn::PrimitiveCache* PrimitivesOf(const KernelContext& ctx);

}  // namespace ipfs_accelerate::engine::cpu
