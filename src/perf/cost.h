// What a model costs at given input sizes, before it runs: per node the arithmetic (FLOPs), the
// bytes it reads and writes and the weights it holds, and the most activation memory held at
// once under the session's lifetime rule (a value is freed after its last reader). The graph is
// analysed as the engine runs it: folded and fused by the optimizer at the fixed input shapes.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/precision.h"
#include "perf/op_class.h"

namespace ipfs_accelerate::perf {

// The sizes of the inputs, named as bench names them (see bench/inputs.h): batch-like dynamic
// dimensions take `batch`, sequence-like ones `seq`, others their entry in `dims`.
struct AnalyzeOptions {
  int64_t batch = 1;
  int64_t seq = 128;
  std::map<std::string, int64_t> dims;
  // The arithmetic of the products and convolutions with constant weights (what
  // SessionOptions::precision converts): their weights shrink and their FLOPs run at the
  // device's peak for that precision.
  engine::Precision precision = engine::Precision::kFp32;
  // Where the static shape rules cannot size a value, run the model once on synthesized inputs
  // to learn the shapes (costs a run); off: such nodes count as unknown.
  bool allow_trace = true;
};

struct NodeCost {
  std::string name, op_type;
  OpClass op_class = OpClass::kOther;
  double flops = 0;          // a multiply-add counts 2
  double bytes_read = 0;     // every input, weights included
  double bytes_written = 0;  // every output
  double weight_bytes = 0;   // the initializers among the inputs
  // Products, convolutions and attention as a GEMM: the smaller of its reduction depth K and
  // its output width N. Small ones reuse what they load less, so they run further below the
  // peak (0: not a product).
  double depth = 0;
  bool lowerable = false;      // a product or convolution with constant float32 weights
  double lowerable_bytes = 0;  // those weights (input 1), which a lower precision shrinks
  bool lowered = false;        // its weights and arithmetic are at GraphCost::precision
  bool known = true;           // false: an input or output shape could not be found
  double Bytes() const { return bytes_read + bytes_written; }
};

struct ClassCost {
  int64_t nodes = 0;
  double flops = 0, bytes = 0;
};

struct GraphCost {
  std::vector<NodeCost> nodes;  // the optimized graph's top-level nodes, in run order
  std::map<OpClass, ClassCost> by_class;
  std::map<std::string, ClassCost> by_op_type;
  double flops = 0;
  double bytes = 0;              // read + written, summed over nodes
  double weight_bytes = 0;       // every initializer of the optimized graph, at the precision
  double conv_weight_bytes = 0;  // of them, the convolutions' (read by a node of a conv class)
  double input_bytes = 0, output_bytes = 0;
  // The most bytes of node outputs alive at once (views such as Reshape share their source's).
  double activation_peak_bytes = 0;
  // What the session's arena holds after a run: it keeps freed buffers of 16 KiB and more by
  // exact size for the next allocation of that size, so every size ends up with as many buffers
  // as were ever alive at once (the cached ones capped at 1 GiB); smaller values at their peak.
  double arena_bytes = 0;
  int64_t unknown_nodes = 0;  // nodes whose cost is missing from the totals
  bool traced = false;        // shapes came from running the model once
  std::map<std::string, Shape> input_shapes;
  engine::Precision precision = engine::Precision::kFp32;
  std::string optimizer_summary;
  // FLOPs per byte moved.
  double ArithmeticIntensity() const { return bytes > 0 ? flops / bytes : 0; }
};

// Analyses `model` (as loaded; it is copied and optimized here) at the sizes `options` gives.
// Errors: an input that cannot be sized (naming it and the dimension), a graph the optimizer
// refuses.
Result<GraphCost> AnalyzeModel(const engine::Model& model, const AnalyzeOptions& options);

// `cost` (analysed at fp32) at another precision: the lowerable nodes' weights shrink and their
// arithmetic moves to that precision's peak. Cheaper than analysing again.
GraphCost AtPrecision(const GraphCost& cost, engine::Precision precision);

// The cost of one node whose input and output shapes and dtypes are known (null input: omitted).
// `initializer` says which inputs are constant weights. Exposed for tests of the counting rules.
NodeCost CostOfNode(const engine::Node& node, const std::vector<const Shape*>& in_shapes,
                    const std::vector<DType>& in_types, const std::vector<bool>& initializer,
                    const std::vector<const Shape*>& out_shapes,
                    const std::vector<DType>& out_types);

// The analysis as JSON: totals, per class, per op type and, when `nodes`, every node.
nlohmann::json ToJson(const GraphCost& cost, bool nodes);

}  // namespace ipfs_accelerate::perf
