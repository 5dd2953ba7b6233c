// Reductions along axes, arg-reductions, top-k, cumulative sums.
#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {

void RegisterReduceKernels(KernelRegistry& r) {}

}  // namespace ipfs_accelerate::engine::cpu
