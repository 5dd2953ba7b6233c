// Convolutions and pooling.
#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterConvKernels(KernelRegistry& r) {}

}  // namespace ipfs_accelerate::engine::cpu
