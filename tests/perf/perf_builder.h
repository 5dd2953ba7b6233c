// The perf room's one builder for tests: graph costs made of nodes of chosen classes and sizes,
// and device profiles with round figures, so a test states exactly what the model sees.
#pragma once

#include <string>
#include <vector>

#include "hardware/profiles.h"
#include "perf/cost.h"

namespace ipfs_accelerate::perf::test {

// A node of `op_class` doing `flops` and moving `bytes` (half read, half written).
inline NodeCost Node(OpClass op_class, double flops, double bytes, bool lowerable = false) {
  NodeCost n;
  n.name = ToString(op_class) + std::to_string(static_cast<int>(flops));
  n.op_type = ToString(op_class);
  n.op_class = op_class;
  n.flops = flops;
  n.bytes_read = bytes / 2;
  n.bytes_written = bytes / 2;
  n.lowerable = lowerable;
  return n;
}

// A cost of `nodes` with `weights` bytes of weights and `activations` bytes at peak. The
// weights belong to the first lowerable node (a lower precision shrinks them), if any.
inline GraphCost Cost(std::vector<NodeCost> nodes, double weights, double activations) {
  GraphCost c;
  for (NodeCost& n : nodes) {
    if (!n.lowerable) continue;
    n.weight_bytes = n.lowerable_bytes = weights;
    n.bytes_read += weights;
    break;
  }
  for (const NodeCost& n : nodes) {
    c.flops += n.flops;
    c.bytes += n.Bytes();
  }
  c.nodes = std::move(nodes);
  c.weight_bytes = weights;
  c.activation_peak_bytes = c.arena_bytes = activations;
  return c;
}

// A device with `gflops` fp32 GFLOP/s, `gbs` GB/s, `gib` GiB of memory.
inline hardware::DeviceProfile Device(const std::string& platform, double gflops, double gbs,
                                      double gib, int threads = 0) {
  hardware::DeviceProfile d;
  d.id = d.name = platform + "-test";
  d.platform = platform;
  d.threads = threads;
  d.fp32_flops = gflops * 1e9;
  d.fp16_flops = 2 * gflops * 1e9;
  d.int8_ops = 4 * gflops * 1e9;
  d.bandwidth_bytes_per_s = gbs * 1e9;
  d.memory_bytes = gib * (1 << 30);
  d.tdp_w = 100;
  return d;
}

}  // namespace ipfs_accelerate::perf::test
