// Kernels that move data without arithmetic: shapes, copies, gathers, resizes and control flow.
// Each group lives in its own tensor_ops_<group>.cc; this file registers them all.
#include "engine/backends/cpu/tensor_ops_util.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterTensorKernels(KernelRegistry& r) {
  RegisterShapeKernels(r);
  RegisterCopyKernels(r);
  RegisterIndexKernels(r);
  RegisterResizeKernels(r);
  RegisterControlFlowKernels(r);
}

}  // namespace ipfs_accelerate::engine::cpu
