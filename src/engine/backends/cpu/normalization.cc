// Normalizations and softmax.
#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterNormalizationKernels(KernelRegistry& r) {}

}  // namespace ipfs_accelerate::engine::cpu
