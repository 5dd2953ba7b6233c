// Control flow: If, Loop and Scan run their subgraphs through RunGraph, reading outer values by
// name. If's branches and Loop's carried values may be sequences or optionals; scan inputs and
// outputs are tensors.
#include <algorithm>

#include "engine/backends/cpu/tensor_ops_util.h"
#include "engine/session.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using namespace tensor_ops;  // NOLINT: this file's own helpers

// Runs `g` with the outer scope, its initializers and `feeds` (by position of g.inputs);
// returns its outputs in order.
Result<std::vector<Value>> RunSubgraph(const KernelContext& ctx, const Graph& g,
                                       const std::vector<Value>& feeds) {
  if (!ctx.backend()) return ctx.Error("control flow needs a backend in the kernel context");
  if (feeds.size() != g.inputs.size()) {
    return ctx.Error("subgraph '" + g.name + "' takes " + std::to_string(g.inputs.size()) +
                     " inputs, given " + std::to_string(feeds.size()));
  }
  std::map<std::string, Value> values;
  if (ctx.scope()) values = *ctx.scope();
  for (const auto& [name, t] : g.initializers) values[name] = t;
  for (size_t i = 0; i < feeds.size(); ++i) values[g.inputs[i].name] = feeds[i];
  Status s = RunGraph(g, *ctx.backend(), ctx.pool(), values, ctx.cancel());
  if (!s.ok()) return s.WithContext(ctx.node().Describe() + " subgraph '" + g.name + "'");
  std::vector<Value> outs;
  for (const ValueInfo& o : g.outputs) {
    auto it = values.find(o.name);
    if (it == values.end())
      return ctx.Error("subgraph '" + g.name + "' did not produce output '" + o.name + "'");
    outs.push_back(it->second);
  }
  return outs;
}

bool Truthy(const Tensor& t) {
  return t.numel() > 0 && static_cast<const uint8_t*>(t.raw())[0] != 0;
}

Status If(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* cond, ctx.Required(0));
  if (cond->numel() != 1)
    return ctx.Error("cond must hold one value, got " + ShapeToString(cond->shape()));
  const Graph* g = ctx.GetGraph(Truthy(*cond) ? "then_branch" : "else_branch");
  if (!g) return ctx.Error("missing then_branch or else_branch");
  IA_ASSIGN_OR_RETURN(std::vector<Value> outs, RunSubgraph(ctx, *g, {}));
  if (outs.size() != ctx.num_outputs()) {
    return ctx.Error("branch '" + g->name + "' yields " + std::to_string(outs.size()) +
                     " outputs, the node has " + std::to_string(ctx.num_outputs()));
  }
  for (size_t i = 0; i < outs.size(); ++i) ctx.SetOutput(i, outs[i]);
  return Status::Ok();
}

// Stacks equally shaped tensors along a new axis `axis` (reversed order when `reverse`).
Result<Tensor> Stack(const KernelContext& ctx, const std::vector<Tensor>& parts, int64_t axis,
                     bool reverse, ThreadPool* pool) {
  const Tensor& first = parts[0];
  for (const Tensor& p : parts) {
    if (p.shape() != first.shape() || p.dtype() != first.dtype()) {
      return ctx.Error("scan output changes shape across iterations: " +
                       ShapeToString(first.shape()) + " vs " + ShapeToString(p.shape()));
    }
  }
  IA_ASSIGN_OR_RETURN(int ax, NormalizeAxis(ctx, axis, first.rank() + 1, "scan output axis"));
  Shape shape = first.shape();
  int64_t n = static_cast<int64_t>(parts.size());
  shape.insert(shape.begin() + ax, n);
  Tensor out = Tensor::Empty(first.dtype(), shape);
  int64_t outer = 1, inner = DTypeSize(first.dtype());
  for (int d = 0; d < ax; ++d) outer *= shape[d];
  for (int d = ax + 1; d < static_cast<int>(shape.size()); ++d) inner *= shape[d];
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t k = 0; k < n; ++k) {
    const auto* src = static_cast<const uint8_t*>(parts[reverse ? n - 1 - k : k].raw());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * n + k) * inner, src + o * inner, inner);
  }
  return out;
}

// Element `k` of `t` along `axis`, with that axis removed.
Tensor SliceAt(const Tensor& t, int axis, int64_t k, ThreadPool* pool) {
  Shape shape = t.shape();
  shape.erase(shape.begin() + axis);
  std::vector<int64_t> strides = ContiguousStrides(t.shape());
  int64_t offset = k * strides[axis];
  strides.erase(strides.begin() + axis);
  Tensor out = Tensor::Empty(t.dtype(), shape);
  StridedCopy(out.raw(), t.raw(), DTypeSize(t.dtype()), shape, strides, offset, pool);
  return out;
}

// A Loop's scan output, stacked as it grows: each iteration's value is copied into a buffer that
// doubles when full, so the memory budget sees all of it (a Loop of 2^62 trips stops at the
// budget instead of growing a list of tensors without end).
class GrowingStack {
 public:
  Status Append(const KernelContext& ctx, const Tensor& part) {
    if (count_ == 0 && capacity_ == 0) {
      part_shape_ = part.shape();
      dtype_ = part.dtype();
      part_bytes_ = part.nbytes();
    } else if (part.shape() != part_shape_ || part.dtype() != dtype_) {
      return ctx.Error("scan output changes shape across iterations: " +
                       ShapeToString(part_shape_) + " vs " + ShapeToString(part.shape()));
    }
    if (count_ == capacity_) {
      int64_t grown;
      if (__builtin_mul_overflow(std::max<int64_t>(capacity_, 1), 2, &grown))
        return ctx.Error("scan output has more iterations than a 64-bit count holds");
      Shape shape = part_shape_;
      shape.insert(shape.begin(), grown);
      IA_RETURN_IF_ERROR(CheckOutputSize(ctx, shape, dtype_));
      Tensor bigger = Tensor::Empty(dtype_, shape);
      if (count_ > 0) std::memcpy(bigger.raw(), buffer_.raw(), count_ * part_bytes_);
      buffer_ = std::move(bigger);
      capacity_ = grown;
    }
    std::memcpy(static_cast<uint8_t*>(buffer_.raw()) + count_ * part_bytes_, part.raw(),
                part_bytes_);
    ++count_;
    return Status::Ok();
  }

  // The stacked values [iterations, part...]; `empty_dtype` [0] when there were none.
  Tensor Finish(DType empty_dtype) const {
    if (count_ == 0) return Tensor::Empty(empty_dtype, {0});
    Shape shape = part_shape_;
    shape.insert(shape.begin(), count_);
    return buffer_.Reshaped(shape);  // a prefix of the buffer
  }

 private:
  Tensor buffer_;
  Shape part_shape_;
  DType dtype_ = DType::kUndefined;
  size_t part_bytes_ = 0;
  int64_t count_ = 0, capacity_ = 0;
};

Status Loop(KernelContext& ctx) {
  const Graph* body = ctx.GetGraph("body");
  if (!body) return ctx.Error("missing body");
  int64_t max_trips = INT64_MAX;
  if (const Tensor* m = ctx.input(0)) {
    IA_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(ctx, *m, "M"));
    if (v.size() != 1) return ctx.Error("M must be a scalar");
    max_trips = v[0];
  }
  bool cond = true;
  const Tensor* cond_in = ctx.input(1);
  if (!ctx.input(0) && !cond_in)
    return ctx.Unsupported("a Loop with neither M nor cond would never end");
  if (cond_in) cond = Truthy(*cond_in);
  size_t n_carried = ctx.num_inputs() > 2 ? ctx.num_inputs() - 2 : 0;
  std::vector<Value> carried;
  for (size_t i = 0; i < n_carried; ++i) {
    const Value* v = ctx.value(2 + i);
    if (!v) return ctx.Error("loop-carried input " + std::to_string(2 + i) + " is required");
    carried.push_back(*v);
  }
  if (body->inputs.size() != 2 + n_carried || body->outputs.size() < 1 + n_carried) {
    return ctx.Error("body has " + std::to_string(body->inputs.size()) + " inputs and " +
                     std::to_string(body->outputs.size()) + " outputs for " +
                     std::to_string(n_carried) + " loop-carried values");
  }
  size_t n_scan = body->outputs.size() - 1 - n_carried;
  if (ctx.num_outputs() != n_carried + n_scan)
    return ctx.Error("output count does not match the body");
  std::vector<GrowingStack> scans(n_scan);
  for (int64_t i = 0; i < max_trips && cond; ++i) {
    IA_RETURN_IF_ERROR(ctx.CheckCancelled());
    std::vector<Value> feeds = {Tensor::Scalar<int64_t>(DType::kInt64, i),
                                Tensor::Scalar<uint8_t>(DType::kBool, cond ? 1 : 0)};
    feeds.insert(feeds.end(), carried.begin(), carried.end());
    IA_ASSIGN_OR_RETURN(std::vector<Value> outs, RunSubgraph(ctx, *body, feeds));
    if (!outs[0].is_tensor()) return ctx.Error("the body's condition is " + outs[0].Describe());
    cond = Truthy(outs[0].tensor());
    for (size_t k = 0; k < n_carried; ++k) carried[k] = outs[1 + k];
    for (size_t k = 0; k < n_scan; ++k) {
      const Value& part = outs[1 + n_carried + k];
      if (!part.is_tensor())
        return ctx.Error("scan output " + std::to_string(k) + " is " + part.Describe());
      IA_RETURN_IF_ERROR(scans[k].Append(ctx, part.tensor()));
    }
  }
  for (size_t k = 0; k < n_carried; ++k) ctx.SetOutput(k, carried[k]);
  for (size_t k = 0; k < n_scan; ++k) {
    DType dt = body->outputs[1 + n_carried + k].dtype;
    ctx.SetOutput(n_carried + k, scans[k].Finish(dt == DType::kUndefined ? DType::kFloat32 : dt));
  }
  return Status::Ok();
}

// Scan over `states` and `inputs` (already without any batch axis); fills the final states and
// stacked scan outputs.
Status ScanCore(const KernelContext& ctx, const Graph& body, std::vector<Tensor> states,
                const std::vector<Tensor>& inputs, std::vector<Tensor>* outs) {
  size_t n_state = states.size(), n_in = inputs.size();
  std::vector<int64_t> in_axes = ctx.GetInts("scan_input_axes", std::vector<int64_t>(n_in, 0));
  std::vector<int64_t> in_dirs =
      ctx.GetInts("scan_input_directions", std::vector<int64_t>(n_in, 0));
  if (in_axes.size() != n_in || in_dirs.size() != n_in)
    return ctx.Error("scan_input_* must have one entry per scan input");
  if (body.outputs.size() < n_state)
    return ctx.Error("body yields fewer outputs than there are states");
  size_t n_out = body.outputs.size() - n_state;
  std::vector<int64_t> out_axes = ctx.GetInts("scan_output_axes", std::vector<int64_t>(n_out, 0));
  std::vector<int64_t> out_dirs =
      ctx.GetInts("scan_output_directions", std::vector<int64_t>(n_out, 0));
  if (out_axes.size() != n_out || out_dirs.size() != n_out) {
    return ctx.Error("scan_output_* must have one entry per scan output");
  }
  int64_t len = -1;
  std::vector<int> axes(n_in);
  for (size_t j = 0; j < n_in; ++j) {
    IA_ASSIGN_OR_RETURN(axes[j],
                        NormalizeAxis(ctx, in_axes[j], inputs[j].rank(), "scan_input_axes entry"));
    int64_t l = inputs[j].dim(axes[j]);
    if (len >= 0 && l != len) return ctx.Error("scan inputs differ in sequence length");
    len = l;
  }
  if (len < 0) len = 0;
  std::vector<std::vector<Tensor>> scans(n_out);
  for (int64_t t = 0; t < len; ++t) {
    IA_RETURN_IF_ERROR(ctx.CheckCancelled());
    std::vector<Value> feeds(states.begin(), states.end());
    for (size_t j = 0; j < n_in; ++j) {
      feeds.push_back(SliceAt(inputs[j], axes[j], in_dirs[j] ? len - 1 - t : t, ctx.pool()));
    }
    IA_ASSIGN_OR_RETURN(std::vector<Value> res, RunSubgraph(ctx, body, feeds));
    for (const Value& v : res) {
      if (!v.is_tensor()) return ctx.Error("the scan body yields " + v.Describe());
    }
    for (size_t k = 0; k < n_state; ++k) states[k] = res[k].tensor();
    for (size_t k = 0; k < n_out; ++k) scans[k].push_back(res[n_state + k].tensor());
  }
  outs->assign(states.begin(), states.end());
  for (size_t k = 0; k < n_out; ++k) {
    if (scans[k].empty()) return ctx.Unsupported("scan with zero iterations");
    IA_ASSIGN_OR_RETURN(Tensor s, Stack(ctx, scans[k], out_axes[k], out_dirs[k] != 0, ctx.pool()));
    outs->push_back(s);
  }
  return Status::Ok();
}

Status Scan(KernelContext& ctx) {
  const Graph* body = ctx.GetGraph("body");
  if (!body) return ctx.Error("missing body");
  int64_t n_in = ctx.GetInt("num_scan_inputs", 0);
  bool batched = ctx.node().opset < 9;  // Scan-8: a leading batch axis and optional sequence_lens
  size_t first = batched ? 1 : 0;
  if (n_in <= 0 || static_cast<size_t>(n_in) + first > ctx.num_inputs())
    return ctx.Error("bad num_scan_inputs");
  size_t n_state = ctx.num_inputs() - first - n_in;
  std::vector<Tensor> states, inputs;
  for (size_t i = first; i < ctx.num_inputs(); ++i) {
    IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
    (i - first < n_state ? states : inputs).push_back(*t);
  }
  if (!batched) {
    std::vector<Tensor> outs;
    IA_RETURN_IF_ERROR(ScanCore(ctx, *body, states, inputs, &outs));
    if (outs.size() != ctx.num_outputs()) return ctx.Error("output count does not match the body");
    for (size_t i = 0; i < outs.size(); ++i) ctx.SetOutput(i, outs[i]);
    return Status::Ok();
  }
  if (ctx.input(0)) return ctx.Unsupported("Scan-8 with sequence_lens");
  if (ctx.HasAttr("directions")) {
    for (int64_t d : ctx.GetInts("directions")) {
      if (d) return ctx.Unsupported("Scan-8 with reverse directions");
    }
  }
  int64_t batch = states.empty() ? inputs[0].dim(0) : states[0].dim(0);
  std::vector<std::vector<Tensor>> per_batch;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Tensor> s, in, outs;
    for (const Tensor& t : states) {
      if (t.rank() < 1 || t.dim(0) != batch) return ctx.Error("states must share the batch axis");
      s.push_back(SliceAt(t, 0, b, ctx.pool()));
    }
    for (const Tensor& t : inputs) {
      if (t.rank() < 2 || t.dim(0) != batch)
        return ctx.Error("scan inputs must share the batch axis");
      in.push_back(SliceAt(t, 0, b, ctx.pool()));
    }
    IA_RETURN_IF_ERROR(ScanCore(ctx, *body, s, in, &outs));
    per_batch.push_back(std::move(outs));
  }
  if (per_batch.empty() || per_batch[0].size() != ctx.num_outputs())
    return ctx.Error("output count does not match");
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    std::vector<Tensor> parts;
    for (auto& o : per_batch) parts.push_back(o[i]);
    IA_ASSIGN_OR_RETURN(Tensor t, Stack(ctx, parts, 0, false, ctx.pool()));
    ctx.SetOutput(i, t);
  }
  return Status::Ok();
}

// SequenceMap: the body runs once per item of the input sequence, given the items at that
// position of every sequence input (all as long) and the tensor inputs whole; each output
// collects the body's results as a sequence.
Status SequenceMap(KernelContext& ctx) {
  const Graph* body = ctx.GetGraph("body");
  if (!body) return ctx.Error("missing body");
  if (body->inputs.size() != ctx.num_inputs() || body->outputs.size() != ctx.num_outputs()) {
    return ctx.Error("body takes " + std::to_string(body->inputs.size()) + " inputs and yields " +
                     std::to_string(body->outputs.size()) + " outputs for a node of " +
                     std::to_string(ctx.num_inputs()) + " and " +
                     std::to_string(ctx.num_outputs()));
  }
  const Value* first = ctx.value(0);
  if (!first || !first->is_sequence())
    return ctx.Error("input 0 must be a sequence, got " + (first ? first->Describe() : "nothing"));
  const size_t n = first->items().size();
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    const Value* v = ctx.value(i);
    if (!v) return ctx.Error("input " + std::to_string(i) + " is required");
    if (v->is_sequence() && v->items().size() != n) {
      return ctx.Error("input " + std::to_string(i) + " is " + v->Describe() + "; input 0 has " +
                       std::to_string(n) + " items");
    }
  }
  std::vector<std::vector<Tensor>> results(ctx.num_outputs());
  for (size_t k = 0; k < n; ++k) {
    IA_RETURN_IF_ERROR(ctx.CheckCancelled());
    std::vector<Value> feeds;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Value& v = *ctx.value(i);
      feeds.push_back(v.is_sequence() ? Value(v.items()[k]) : v);
    }
    IA_ASSIGN_OR_RETURN(std::vector<Value> outs, RunSubgraph(ctx, *body, feeds));
    for (size_t o = 0; o < outs.size(); ++o) {
      if (!outs[o].is_tensor())
        return ctx.Error("the body's output " + std::to_string(o) + " is " + outs[o].Describe());
      if (!results[o].empty() && outs[o].tensor().dtype() != results[o][0].dtype()) {
        return ctx.Error("the body's output " + std::to_string(o) + " changes dtype across items");
      }
      results[o].push_back(outs[o].tensor());
    }
  }
  for (size_t o = 0; o < results.size(); ++o) {
    DType dtype = results[o].empty() ? body->outputs[o].dtype : results[o][0].dtype();
    ctx.SetOutput(o, Value::Sequence(dtype, std::move(results[o])));
  }
  return Status::Ok();
}

}  // namespace

void RegisterControlFlowKernels(KernelRegistry& r) {
  r.Add("If", If);
  r.Add("Loop", Loop);
  r.Add("SequenceMap", SequenceMap, 17);
  r.Add("Scan", Scan, 8);
}

}  // namespace ipfs_accelerate::engine::cpu
