#include "engine/session.h"

#include <chrono>
#include <new>
#include <set>

#include "core/log.h"
#include "core/memory_budget.h"
#include "engine/optimizer/optimizer.h"

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
    if (entry->device != DeviceKind::kHost) {
      return Status::Unsupported("backend '" + name + "' keeps tensors in " +
                                 DeviceKindName(entry->device) +
                                 " memory; sessions copy tensors only between host backends yet");
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
  std::vector<const Backend*> ptrs;
  for (const auto& b : backends) ptrs.push_back(b.get());
  IA_RETURN_IF_ERROR(CheckProduced(model.graph));
  IA_RETURN_IF_ERROR(CheckOutputsNamed(model.graph));
  std::string summary;
  if (options.optimize) {
    // Unsupported ops are reported on the graph as the model wrote it.
    IA_RETURN_IF_ERROR(PlaceNodes(model.graph, ptrs).status());
    optimizer::OptimizeOptions opt;
    opt.input_shapes = options.input_shapes;
    for (const Backend* b : ptrs) {
      if (b->name() == "cpu") opt.evaluator = b;  // folds with the backend that runs every op
    }
    optimizer::OptimizeStats stats;
    try {
      IA_RETURN_IF_ERROR(optimizer::Optimize(model.graph, *ptrs[0], opt, &stats));
    } catch (const AllocationError& e) {
      return e.status().WithContext("optimizing the model");
    }
    summary = stats.Summary();
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
  s->optimizer_summary_ = summary;
  s->fixed_shapes_ = options.input_shapes;
  uint64_t limit = options.memory_limit > 0 ? options.memory_limit : DefaultMemoryLimit();
  s->arena_.set_limit(static_cast<size_t>(std::min<uint64_t>(limit, SIZE_MAX)),
                      "raise it with --memory-limit, the engine.memory_limit setting or "
                      "SessionOptions::memory_limit");
  // Free each intermediate value right after the last node that reads it.
  const Graph& g = s->model_.graph;
  std::set<std::string> keep;
  for (const auto& o : g.outputs) keep.insert(o.name);
  for (const auto& [name, t] : g.initializers) keep.insert(name);
  std::map<std::string, size_t> last_use;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& in : g.nodes[i].inputs) last_use[in] = i;
    for (const auto& [key, attr] : g.nodes[i].attributes) {
      if (!attr.g) continue;
      // A subgraph may read any outer value: keep everything alive until that node has run.
      for (auto& [name, idx] : last_use) idx = std::max(idx, i);
    }
  }
  s->profiling_ = options.profile;
  if (options.profile) {
    for (const Node& n : g.nodes) s->profile_.push_back({n.name, n.op_type});
  }
  s->release_after_.resize(g.nodes.size());
  for (const auto& [name, idx] : last_use) {
    if (!name.empty() && !keep.count(name)) s->release_after_[idx].push_back(name);
  }
  return s;
}

Status Session::CheckInputs(const std::map<std::string, Tensor>& inputs) const {
  for (const ValueInfo& in : model_.graph.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end()) {
      return Status::InvalidArgument("missing input '" + in.name + "' (" + DTypeName(in.dtype) +
                                     (in.shape ? " " + DescribeDims(*in.shape) : "") + ")");
    }
    const Tensor& t = it->second;
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
    if (it != inputs.end() && it->second.shape() != shape) {
      return Status::InvalidArgument(
          "input '" + name + "' must have shape " + ShapeToString(shape) +
          " (fixed when the session was created), got " + ShapeToString(it->second.shape()));
    }
  }
  for (const auto& [name, t] : inputs) {
    bool known = false;
    for (const ValueInfo& in : model_.graph.inputs) known |= in.name == name;
    if (!known) return Status::InvalidArgument("the model has no input named '" + name + "'");
  }
  return Status::Ok();
}

Status RunGraph(const Graph& graph, const Backend& backend, ThreadPool* pool,
                std::map<std::string, Tensor>& values, const GraphRunState& state) {
  std::vector<double>* node_ms = state.node_ms;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (state.cancel) IA_RETURN_IF_ERROR(state.cancel->Check("running " + node.Describe()));
    std::vector<const Tensor*> ins;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      auto it = values.find(name);
      if (it == values.end()) {
        return Status::InvalidArgument(node.Describe() + " reads '" + name +
                                       "', which nothing produces");
      }
      ins.push_back(&it->second);
    }
    std::vector<Tensor> outs(node.outputs.size());
    const Backend& runner = state.placement ? *(*state.placement)[i] : backend;
    KernelContext ctx(node, std::move(ins), &outs, pool, &runner, &values);
    ctx.set_graph(&graph);
    if (state.states) ctx.set_state(&(*state.states)[i]);
    ctx.set_cancel(state.cancel);
    auto t0 = node_ms ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Status status;
    try {
      status = runner.Run(ctx);
    } catch (const AllocationError& e) {
      status = e.status().WithContext(node.Describe());
    } catch (const std::bad_alloc&) {
      status = Status::ResourceExhausted(node.Describe() + ": the system is out of memory");
    } catch (const std::exception& e) {
      // The last guard: no exception crosses a session.
      status = Status::Internal(node.Describe() + ": " + e.what() + " (please report this)");
    }
    IA_RETURN_IF_ERROR(status);
    if (node_ms) {
      (*node_ms)[i] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k].empty()) continue;
      if (!outs[k].defined()) {
        // The model names more outputs than the operator has (Elu with two, say).
        return Status::InvalidArgument(node.Describe() + " names output " + std::to_string(k) +
                                       " ('" + node.outputs[k] +
                                       "'), which this operator does not produce");
      }
      values[node.outputs[k]] = std::move(outs[k]);
    }
    if (state.release_after) {
      for (const std::string& name : (*state.release_after)[i]) values.erase(name);
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

// No lock on this path: everything it reads of the session is fixed after Create, except the
// state slots, the arena and the profile, which guard themselves (see session.h).
Result<std::map<std::string, Tensor>> Session::Run(const std::map<std::string, Tensor>& inputs,
                                                   const RunOptions& options) {
  ScopedBufferPool arena(&arena_);
  IA_RETURN_IF_ERROR(CheckInputs(inputs));
  const Graph& g = model_.graph;
  std::map<std::string, Tensor> values = g.initializers;  // shares buffers, copies nothing
  for (const auto& [name, t] : inputs) values[name] = t;
  std::vector<double> node_ms(profiling_ ? g.nodes.size() : 0, -1.0);
  Status status = RunGraph(g, *backend_ptrs_[0], pool_.get(), values,
                           {&release_after_, &placement_.backend_of,
                            profiling_ ? &node_ms : nullptr, &states_, options.cancel});
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
  std::map<std::string, Tensor> out;
  for (const ValueInfo& o : g.outputs) {
    auto it = values.find(o.name);
    if (it == values.end())
      return Status::Internal("graph output '" + o.name + "' was not produced");
    out[o.name] = it->second;
  }
  return out;
}

}  // namespace ipfs_accelerate::engine
