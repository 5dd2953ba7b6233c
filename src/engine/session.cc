#include "engine/session.h"

#include <chrono>
#include <cstdio>
#include <new>
#include <set>

#include "core/log.h"
#include "core/memory_budget.h"
#include "engine/ops/value_types.h"
#include "engine/optimizer/optimizer.h"
#include "engine/optimizer/passes.h"

namespace ipfs_accelerate::engine {
namespace {

std::string DescribeDims(const std::vector<Dim>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    s += i ? ", " : "";
    s += dims[i].value >= 0 ? std::to_string(dims[i].value)
                            : (dims[i].param.empty() ? "?" : dims[i].param);
  }
  return s + "]";
}

// Every value a top-level node reads must come from a graph input, an initializer or an
// earlier node: a missing initializer is reported at load time, naming the node.
Status CheckProduced(const Graph& g) {
  std::set<std::string> known;
  for (const auto& in : g.inputs) known.insert(in.name);
  for (const auto& [name, t] : g.initializers) known.insert(name);
  for (const Node& n : g.nodes) {
    for (const auto& in : n.inputs) {
      if (!in.empty() && !known.count(in)) {
        return Status::InvalidArgument(
            n.Describe() + " reads '" + in +
            "', which is no graph input, initializer or node output (missing initializer?)");
      }
    }
    for (const auto& out : n.outputs) known.insert(out);
  }
  for (const auto& out : g.outputs) {
    if (!known.count(out.name))
      return Status::InvalidArgument("graph output '" + out.name + "' is never produced");
  }
  return Status::Ok();
}

Status CheckOutputsNamed(const Graph& g) {
  for (const Node& n : g.nodes) {
    if (n.outputs.empty()) {
      return Status::InvalidArgument(n.Describe() +
                                     " names no outputs (every operator has at least one)");
    }
    for (const auto& [key, attr] : n.attributes) {
      if (attr.g) IA_RETURN_IF_ERROR(CheckOutputsNamed(*attr.g));
    }
  }
  return Status::Ok();
}

// The backends `options` names, created, in priority order, with "cpu" last when not named.
Result<std::vector<std::unique_ptr<Backend>>> CreateBackends(const SessionOptions& options,
                                                             int threads) {
  const BackendRegistry& registry = options.registry ? *options.registry : BuiltinBackends();
  std::vector<std::string> names = options.backends;
  if (std::find(names.begin(), names.end(), "cpu") == names.end()) names.push_back("cpu");
  std::vector<std::unique_ptr<Backend>> backends;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) continue;
    IA_ASSIGN_OR_RETURN(const BackendEntry* entry, registry.Find(name));
    // Only a first backend may run whole models (see Session::Create); nodes stay on the host.
    if (entry->device != DeviceKind::kHost && !backends.empty()) {
      return Status::Unsupported("backend '" + name + "' keeps tensors in " +
                                 DeviceKindName(entry->device) +
                                 " memory; it can only come first, running the whole model");
    }
    backends.push_back(entry->create({threads}));
  }
  return backends;
}

// Logs the nodes the first backend refused: one warning naming the count and ops, the reasons
// at debug level.
void LogFallbacks(const Graph& g, const Placement& p, const std::vector<const Backend*>& backends) {
  if (p.fallbacks.empty()) return;
  Log(LogLevel::kWarning, "placement: " + p.Summary(g, backends) + " (the first backend, " +
                              backends[0]->name() + ", does not run them)");
  if (!ProcessLogger().Enabled(LogLevel::kDebug)) return;
  for (const Placement::Fallback& f : p.fallbacks) {
    Log(LogLevel::kDebug,
        "placement: " + g.nodes[f.node].Describe() + " -> " + f.to + " (" + f.reason + ")");
  }
}

// "LowerPrecision(int8): 73 products, weights 324.0 MiB -> 81.4 MiB" (bf16 may add "53
// convolutions, "; "nothing converted" when the backend runs none at that precision).
std::string LowerPrecisionSummary(Precision p, const optimizer::PrecisionStats& st) {
  std::string s = std::string("LowerPrecision(") + PrecisionName(p) + "): ";
  if (st.products == 0 && st.convolutions == 0) return s + "nothing converted";
  auto mib = [](uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return std::string(buf);
  };
  s += std::to_string(st.products) + " products, ";
  if (st.convolutions > 0) s += std::to_string(st.convolutions) + " convolutions, ";
  return s + "weights " + mib(st.bytes_before) + " -> " + mib(st.bytes_after);
}

}  // namespace

Session::Session(Model model, std::vector<std::unique_ptr<Backend>> backends, int threads)
    : model_(std::move(model)),
      backends_(std::move(backends)),
      pool_(std::make_unique<ThreadPool>(threads)) {
  for (const auto& b : backends_) backend_ptrs_.push_back(b.get());
}

Result<std::unique_ptr<Session>> Session::Create(Model model, SessionOptions options) {
  const int threads = options.threads > 0 ? options.threads : ThreadPool::DefaultThreads();
  IA_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Backend>> backends,
                      CreateBackends(options, threads));
  // A first backend off the host runs the model whole, as its file has it; the nodes go to the
  // others, which answer whatever its runner does not.
  std::unique_ptr<Backend> model_backend;
  std::unique_ptr<ModelRunner> runner;
  if (backends[0]->device() != DeviceKind::kHost) {
    IA_ASSIGN_OR_RETURN(runner, backends[0]->PrepareModel(model));
    if (!runner) {
      return Status::Unsupported("backend '" + backends[0]->name() + "' keeps tensors in " +
                                 DeviceKindName(backends[0]->device()) +
                                 " memory and does not run whole models; sessions copy tensors "
                                 "only between host backends yet");
    }
    model_backend = std::move(backends[0]);
    backends.erase(backends.begin());
  }
  std::vector<const Backend*> ptrs;
  for (const auto& b : backends) ptrs.push_back(b.get());
  IA_RETURN_IF_ERROR(CheckProduced(model.graph));
  IA_RETURN_IF_ERROR(CheckOutputsNamed(model.graph));
  std::string summary, precision_summary;
  if (options.optimize) {
    // A 16-bit float model whose types the backends do not all run computes in float32.
    int64_t widened = 0;
    if (optimizer::NeedsFloat32Compute(model.graph, ptrs)) {
      IA_RETURN_IF_ERROR(optimizer::ComputeHalfFloatsInFloat32(model.graph, &widened));
    }
    // Unsupported ops are reported on the graph as the model wrote it.
    IA_RETURN_IF_ERROR(PlaceNodes(model.graph, ptrs).status());
    optimizer::OptimizeOptions opt;
    opt.input_shapes = options.input_shapes;
    for (const Backend* b : ptrs) {
      if (b->name() == "cpu") opt.evaluator = b;  // folds with the backend that runs every op
    }
    optimizer::OptimizeStats stats;
    if (widened > 0) stats.passes["HalfFloatsToFloat32"].rewrites = widened;
    try {
      IA_RETURN_IF_ERROR(optimizer::Optimize(model.graph, *ptrs[0], opt, &stats));
    } catch (const AllocationError& e) {
      return e.status().WithContext("optimizing the model");
    }
    summary = stats.Summary();
    if (options.precision != Precision::kFp32) {
      optimizer::PrecisionStats lowered;
      try {
        IA_RETURN_IF_ERROR(
            optimizer::LowerPrecision(model.graph, options.precision, *ptrs[0], &lowered));
      } catch (const AllocationError& e) {
        return e.status().WithContext("converting the weights to " +
                                      std::string(PrecisionName(options.precision)));
      }
      precision_summary = LowerPrecisionSummary(options.precision, lowered);
      summary += "; " + precision_summary;
    }
  } else if (options.precision != Precision::kFp32) {
    return Status::InvalidArgument(std::string("precision ") + PrecisionName(options.precision) +
                                   " converts the model in the optimizer, which is off (drop "
                                   "--no-optimize, or use fp32)");
  }
  IA_ASSIGN_OR_RETURN(Placement placement, PlaceNodes(model.graph, ptrs));
  LogFallbacks(model.graph, placement, ptrs);
  std::vector<StateSlot> states(model.graph.nodes.size());
  for (size_t i = 0; i < model.graph.nodes.size(); ++i) {
    const Node& n = model.graph.nodes[i];
    std::vector<const Tensor*> constants;
    for (const std::string& in : n.inputs) {
      auto it = in.empty() ? model.graph.initializers.end() : model.graph.initializers.find(in);
      constants.push_back(it == model.graph.initializers.end() ? nullptr : &it->second);
    }
    IA_ASSIGN_OR_RETURN(std::shared_ptr<const KernelState> state,
                        placement.backend_of[i]->Prepare(n, constants));
    if (state) states[i].Set(std::move(state));
  }
  auto s = std::unique_ptr<Session>(new Session(std::move(model), std::move(backends), threads));
  s->placement_ = std::move(placement);
  s->states_ = std::move(states);
  s->model_backend_ = std::move(model_backend);
  s->runner_ = std::move(runner);
  s->optimizer_summary_ = summary;
  s->precision_summary_ = precision_summary;
  s->fixed_shapes_ = options.input_shapes;
  uint64_t limit = options.memory_limit > 0 ? options.memory_limit : DefaultMemoryLimit();
  s->arena_.set_limit(static_cast<size_t>(std::min<uint64_t>(limit, SIZE_MAX)),
                      "raise it with --memory-limit, the engine.memory_limit setting or "
                      "SessionOptions::memory_limit");
  s->profiling_ = options.profile;
  if (options.profile) {
    for (const Node& n : s->model_.graph.nodes) s->profile_.push_back({n.name, n.op_type});
  }
  s->Plan();
  return s;
}

namespace {

// "float32 [1, 3]", "a sequence of float32 tensors", "an optional float32 tensor": what `in`
// declares.
std::string DescribeDeclared(const ValueInfo& in) {
  using Kind = ValueInfo::Kind;
  std::string tensor = DTypeName(in.dtype) + (in.shape ? " " + DescribeDims(*in.shape) : "");
  switch (in.kind) {
    case Kind::kTensor:
      return tensor;
    case Kind::kSequence:
      return "a sequence of " + DTypeName(in.dtype) + " tensors";
    case Kind::kOptional:
      return in.element == Kind::kSequence
                 ? "an optional sequence of " + DTypeName(in.dtype) + " tensors"
                 : "an optional " + DTypeName(in.dtype) + " tensor";
    case Kind::kOther:
      break;
  }
  return "a map or sparse tensor";
}

// Whether `v` is of the kind `in` declares (dtypes and shapes are checked apart).
bool KindMatches(const ValueInfo& in, const Value& v) {
  using Kind = ValueInfo::Kind;
  switch (in.kind) {
    case Kind::kTensor:
      return v.is_tensor();
    case Kind::kSequence:
      return v.is_sequence();
    case Kind::kOptional:
      return v.is_none() || (in.element == Kind::kSequence ? v.is_sequence() : v.is_tensor());
    case Kind::kOther:
      break;
  }
  return false;
}

}  // namespace

Status Session::CheckInputs(const std::map<std::string, Value>& inputs) const {
  for (const ValueInfo& in : model_.graph.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end()) {
      return Status::InvalidArgument("missing input '" + in.name + "' (" + DescribeDeclared(in) +
                                     ")");
    }
    const Value& v = it->second;
    if (in.kind == ValueInfo::Kind::kOther) {
      return Status::Unsupported("input '" + in.name +
                                 "' is declared a map or sparse tensor, which this engine does "
                                 "not hold");
    }
    if (!KindMatches(in, v)) {
      return Status::InvalidArgument("input '" + in.name + "' must be " + DescribeDeclared(in) +
                                     ", got " + v.Describe());
    }
    if (v.is_sequence()) {
      if (in.dtype != DType::kUndefined && v.sequence_dtype() != in.dtype) {
        return Status::InvalidArgument("input '" + in.name + "' must be " + DescribeDeclared(in) +
                                       ", got " + v.Describe());
      }
      continue;
    }
    if (!v.is_tensor()) continue;
    const Tensor& t = v.tensor();
    if (in.dtype != DType::kUndefined && t.dtype() != in.dtype) {
      return Status::InvalidArgument("input '" + in.name + "' must be " + DTypeName(in.dtype) +
                                     ", got " + DTypeName(t.dtype()));
    }
    if (in.shape) {
      bool ok = static_cast<int>(in.shape->size()) == t.rank();
      for (size_t d = 0; ok && d < in.shape->size(); ++d) {
        if ((*in.shape)[d].value >= 0 && (*in.shape)[d].value != t.dim(static_cast<int>(d)))
          ok = false;
      }
      if (!ok) {
        return Status::InvalidArgument("input '" + in.name + "' must have shape " +
                                       DescribeDims(*in.shape) + ", got " +
                                       ShapeToString(t.shape()));
      }
    }
  }
  for (const auto& [name, shape] : fixed_shapes_) {
    auto it = inputs.find(name);
    if (it != inputs.end() && it->second.tensor().shape() != shape) {
      return Status::InvalidArgument(
          "input '" + name + "' must have shape " + ShapeToString(shape) +
          " (fixed when the session was created), got " + it->second.Describe());
    }
  }
  for (const auto& [name, t] : inputs) {
    bool known = false;
    for (const ValueInfo& in : model_.graph.inputs) known |= in.name == name;
    if (!known) return Status::InvalidArgument("the model has no input named '" + name + "'");
  }
  return Status::Ok();
}

void Session::Plan() {
  const Graph& g = model_.graph;
  std::map<std::string, int> slot_of;
  auto slot = [&](const std::string& name) {
    auto [it, added] = slot_of.emplace(name, static_cast<int>(slot_names_.size()));
    if (added) slot_names_.push_back(name);
    return it->second;
  };
  for (const auto& [name, t] : g.initializers) slot(name);
  for (const ValueInfo& in : g.inputs) input_slots_.push_back(slot(in.name));
  steps_.resize(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (const std::string& in : n.inputs) steps_[i].ins.push_back(in.empty() ? -1 : slot(in));
    for (const std::string& out : n.outputs) steps_[i].outs.push_back(out.empty() ? -1 : slot(out));
    for (const auto& [key, attr] : n.attributes) steps_[i].has_subgraphs |= attr.g != nullptr;
    steps_[i].kernel = placement_.backend_of[i]->Resolve(n);
  }
  for (const ValueInfo& out : g.outputs) output_slots_.push_back(slot(out.name));
  slot_constants_.resize(slot_names_.size());
  for (const auto& [name, t] : g.initializers) slot_constants_[slot_of.at(name)] = t;
  // Free each intermediate value right after the last node that reads it; a node with subgraphs
  // may read any outer value, so everything defined before it lives until it has run.
  std::vector<bool> keep(slot_names_.size(), false);
  for (int o : output_slots_) keep[o] = true;
  for (const auto& [name, t] : g.initializers) keep[slot_of.at(name)] = true;
  std::vector<int> last_use(slot_names_.size(), -1);
  for (size_t i = 0; i < steps_.size(); ++i) {
    for (int in : steps_[i].ins) {
      if (in >= 0) last_use[in] = static_cast<int>(i);
    }
    if (steps_[i].has_subgraphs) {
      for (int& last : last_use) {
        if (last >= 0) last = static_cast<int>(i);
      }
    }
  }
  for (size_t v = 0; v < last_use.size(); ++v) {
    if (last_use[v] >= 0 && !keep[v]) steps_[last_use[v]].release.push_back(static_cast<int>(v));
  }
}

namespace {

// Runs one node with `kernel` (its backend's Resolve), or `runner`'s Run when null: the
// kernel's errors and exceptions become a Status naming the node.
Status RunNode(const Node& node, const Backend& runner, KernelFn kernel, KernelContext& ctx) {
  Status status;
  try {
    status = kernel ? kernel(ctx) : runner.Run(ctx);
  } catch (const AllocationError& e) {
    status = e.status().WithContext(node.Describe());
  } catch (const std::bad_alloc&) {
    status = Status::ResourceExhausted(node.Describe() + ": the system is out of memory");
  } catch (const std::exception& e) {
    // The last guard: no exception crosses a session.
    status = Status::Internal(node.Describe() + ": " + e.what() + " (please report this)");
  }
  return status;
}

Status CheckProducedOutput(const Node& node, size_t k, const Value& out) {
  if (out.defined()) return Status::Ok();
  // The model names more outputs than the operator has (Elu with two, say).
  return Status::InvalidArgument(node.Describe() + " names output " + std::to_string(k) + " ('" +
                                 node.outputs[k] + "'), which this operator does not produce");
}

Status NothingProduces(const Node& node, const std::string& name) {
  return Status::InvalidArgument(node.Describe() + " reads '" + name + "', which nothing produces");
}

// A sequence given to a kernel that takes tensors, or a string tensor to one that takes none: an
// error naming the input, before the kernel runs (see ops::TakesNonTensors, ops::TakesStrings).
// An empty optional reads as an omitted input.
Status CheckTensorInputs(const Node& node, const std::vector<const Value*>& ins) {
  for (size_t k = 0; k < ins.size(); ++k) {
    if (!ins[k]) continue;
    if (ins[k]->is_sequence() && !ops::TakesNonTensors(node)) {
      return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(k) + " ('" +
                                     node.inputs[k] +
                                     "') is a sequence; the operator takes tensors");
    }
    const bool strings = ins[k]->is_tensor() ? ins[k]->tensor().dtype() == DType::kString
                                             : ins[k]->sequence_dtype() == DType::kString;
    if (strings && !ops::TakesStrings(node)) {
      return Status::Unsupported(node.Describe() + ": input " + std::to_string(k) + " ('" +
                                 node.inputs[k] +
                                 "') holds strings, which this operator does not run on");
    }
  }
  return Status::Ok();
}

}  // namespace

Status RunGraph(const Graph& graph, const Backend& backend, ThreadPool* pool,
                std::map<std::string, Value>& values, const CancelToken* cancel) {
  for (const Node& node : graph.nodes) {
    if (cancel) IA_RETURN_IF_ERROR(cancel->Check("running " + node.Describe()));
    std::vector<const Value*> ins;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      auto it = values.find(name);
      if (it == values.end()) return NothingProduces(node, name);
      ins.push_back(&it->second);
    }
    IA_RETURN_IF_ERROR(CheckTensorInputs(node, ins));
    std::vector<Value> outs(node.outputs.size());
    KernelContext ctx(node, std::move(ins), &outs, pool, &backend, &values);
    ctx.set_graph(&graph);
    ctx.set_cancel(cancel);
    IA_RETURN_IF_ERROR(RunNode(node, backend, nullptr, ctx));
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k].empty()) continue;
      IA_RETURN_IF_ERROR(CheckProducedOutput(node, k, outs[k]));
      values[node.outputs[k]] = std::move(outs[k]);
    }
  }
  return Status::Ok();
}

std::string Session::placement_summary() const {
  return placement_.Summary(model_.graph, backend_ptrs_);
}

std::vector<NodeProfile> Session::profile() const {
  std::lock_guard<std::mutex> lock(profile_mu_);
  return profile_;
}

void Session::ResetProfile() {
  std::lock_guard<std::mutex> lock(profile_mu_);
  for (auto& n : profile_) n.total_ms = 0, n.runs = 0;
}

Result<std::map<std::string, Tensor>> Session::Run(const std::map<std::string, Tensor>& inputs,
                                                   const RunOptions& options) {
  IA_ASSIGN_OR_RETURN(
      auto values, RunValues(std::map<std::string, Value>(inputs.begin(), inputs.end()), options));
  std::map<std::string, Tensor> out;
  for (auto& [name, v] : values) {
    if (!v.is_tensor()) {
      return Status::Unsupported("output '" + name + "' is " + v.Describe() +
                                 ", not a tensor (Session::RunValues returns it)");
    }
    out.emplace(name, std::move(v.tensor()));
  }
  return out;
}

std::optional<Result<std::map<std::string, Value>>> Session::RunOnRunner(
    const std::map<std::string, Value>& inputs, const RunOptions& options) {
  std::map<std::string, Tensor> tensors;
  Result<std::map<std::string, Tensor>> ran = std::map<std::string, Tensor>{};
  for (const auto& [name, v] : inputs) {
    if (!v.is_tensor()) ran = Status::Unsupported("input '" + name + "' is not a tensor");
    tensors.emplace(name, v.tensor());
  }
  if (ran.ok()) ran = runner_->Run(tensors, options.cancel);
  for (size_t i = 0; ran.ok() && i < model_.graph.outputs.size(); ++i) {
    const ValueInfo& want = model_.graph.outputs[i];
    auto it = ran->find(want.name);
    if (it == ran->end()) {
      ran = Status::Internal("its answer lacks the output '" + want.name + "'");
    } else if (want.dtype != DType::kUndefined && it->second.dtype() != want.dtype) {
      ran = Status::Internal("its output '" + want.name + "' is " + DTypeName(it->second.dtype()) +
                             ", not " + DTypeName(want.dtype));
    }
  }
  if (ran.ok()) return std::map<std::string, Value>(ran->begin(), ran->end());
  // The caller's own stop is not the runtime's failure: nothing to fall back for.
  if (options.cancel && !options.cancel->Check("").ok()) return ran.status();
  fallback_runs_.fetch_add(1);
  Log(LogLevel::kWarning, "session: " + model_backend_->name() + " did not run the model (" +
                              ran.status().message() + "); running it on " +
                              backend_ptrs_.front()->name() + " instead");
  return std::nullopt;
}

// No lock on this path: everything it reads of the session is fixed after Create, except the
// state slots, the arena and the profile, which guard themselves (see session.h).
Result<std::map<std::string, Value>> Session::RunValues(const std::map<std::string, Value>& inputs,
                                                        const RunOptions& options) {
  ScopedBufferPool arena(&arena_);
  IA_RETURN_IF_ERROR(CheckInputs(inputs));
  if (runner_) {
    if (auto answer = RunOnRunner(inputs, options)) return std::move(*answer);
  }
  const Graph& g = model_.graph;
  std::vector<Value> slots = slot_constants_;  // shares the initializers' buffers
  for (size_t i = 0; i < g.inputs.size(); ++i) slots[input_slots_[i]] = inputs.at(g.inputs[i].name);
  std::vector<double> node_ms(profiling_ ? g.nodes.size() : 0, -1.0);
  Status status;
  for (size_t i = 0; i < g.nodes.size() && status.ok(); ++i) {
    const Node& node = g.nodes[i];
    const Step& step = steps_[i];
    if (options.cancel) {
      status = options.cancel->Check("running " + node.Describe());
      if (!status.ok()) break;
    }
    std::vector<const Value*> ins(step.ins.size(), nullptr);
    for (size_t k = 0; k < step.ins.size() && status.ok(); ++k) {
      if (step.ins[k] < 0) continue;
      if (!slots[step.ins[k]].defined()) status = NothingProduces(node, node.inputs[k]);
      ins[k] = &slots[step.ins[k]];
    }
    if (status.ok()) status = CheckTensorInputs(node, ins);
    if (!status.ok()) break;
    // Control flow reads outer values by name; every other kernel gets no scope.
    std::map<std::string, Value> scope;
    if (step.has_subgraphs) {
      for (size_t v = 0; v < slots.size(); ++v) {
        if (slots[v].defined()) scope[slot_names_[v]] = slots[v];
      }
    }
    std::vector<Value> outs(node.outputs.size());
    const Backend& runner = *placement_.backend_of[i];
    KernelContext ctx(node, std::move(ins), &outs, pool_.get(), &runner,
                      step.has_subgraphs ? &scope : nullptr);
    ctx.set_graph(&g);
    ctx.set_state(&states_[i]);
    ctx.set_cancel(options.cancel);
    auto t0 =
        profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    status = RunNode(node, runner, step.kernel, ctx);
    if (!status.ok()) break;
    if (profiling_) {
      node_ms[i] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    if (options.on_node) options.on_node(i, outs);
    for (size_t k = 0; k < step.outs.size() && status.ok(); ++k) {
      if (step.outs[k] < 0) continue;
      status = CheckProducedOutput(node, k, outs[k]);
      slots[step.outs[k]] = std::move(outs[k]);
    }
    for (int v : step.release) slots[v] = Value();
  }
  if (profiling_) {
    // The nodes that ran count, even when a later one failed.
    std::lock_guard<std::mutex> lock(profile_mu_);
    for (size_t i = 0; i < node_ms.size(); ++i) {
      if (node_ms[i] < 0) continue;
      profile_[i].total_ms += node_ms[i];
      profile_[i].runs++;
    }
  }
  IA_RETURN_IF_ERROR(status);
  std::map<std::string, Value> out;
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value& t = slots[output_slots_[i]];
    if (!t.defined())
      return Status::Internal("graph output '" + g.outputs[i].name + "' was not produced");
    out[g.outputs[i].name] = t;
  }
  return out;
}

}  // namespace ipfs_accelerate::engine
