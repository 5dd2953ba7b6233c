// run and conformance: the inference engine's commands.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "bench/inputs.h"
#include "bench/statistics.h"
#include "cli/cli.h"
#include "core/cancel.h"
#include "core/file_util.h"
#include "core/json_util.h"
#include "core/log.h"
#include "core/memory_budget.h"
#include "core/npy.h"
#include "core/parse_number.h"
#include "core/progress.h"
#include "core/tensor_summary.h"
#include "core/terminal_text.h"
#include "engine/conformance.h"
#include "engine/onnx_loader.h"
#include "engine/session.h"
#include "models/tensor_file.h"
#include "router/fetch_on_miss.h"
#include "router/model_ref.h"
#include "router/remote.h"
#include "server/loadgen.h"
#include "store/repo.h"

namespace ipfs_accelerate::cli {
namespace {

std::string SafeFileName(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  return name.empty() || name[0] == '.' ? "_" + name : name;
}

// Time per op type (share of the total), then the ten slowest nodes; per run, averaged.
void PrintProfile(const std::vector<engine::NodeProfile>& nodes) {
  std::map<std::string, std::pair<double, int>> by_op;
  double total = 0;
  for (const auto& n : nodes) {
    if (n.runs == 0) continue;
    double ms = n.total_ms / n.runs;
    by_op[n.op_type].first += ms;
    by_op[n.op_type].second++;
    total += ms;
  }
  std::vector<std::pair<double, std::string>> ops;
  for (const auto& [op, v] : by_op) ops.push_back({v.first, op});
  std::sort(ops.rbegin(), ops.rend());
  std::fprintf(stderr, "profile: %.3f ms per run in %s\n", total,
               Plural(nodes.size(), "node").c_str());
  for (const auto& [ms, op] : ops) {
    std::fprintf(stderr, "  %-24s %9.3f ms %5.1f%% %5d %s\n", TerminalSafe(op).c_str(), ms,
                 total > 0 ? 100 * ms / total : 0, by_op[op].second,
                 by_op[op].second == 1 ? "node" : "nodes");
  }
  std::vector<const engine::NodeProfile*> slow;
  for (const auto& n : nodes) {
    if (n.runs) slow.push_back(&n);
  }
  std::sort(slow.begin(), slow.end(),
            [](auto* a, auto* b) { return a->total_ms / a->runs > b->total_ms / b->runs; });
  std::fprintf(stderr, "slowest nodes:\n");
  for (size_t i = 0; i < std::min<size_t>(10, slow.size()); ++i) {
    std::fprintf(stderr, "  %-40s %-20s %9.3f ms\n", TerminalSafe(slow[i]->name).c_str(),
                 TerminalSafe(slow[i]->op_type).c_str(), slow[i]->total_ms / slow[i]->runs);
  }
}

}  // namespace

Result<std::map<std::string, Tensor>> RunFeeds(const engine::Model& model,
                                               const std::vector<std::string>& specs,
                                               const std::vector<std::string>& dims, uint64_t seed,
                                               bool quiet) {
  IA_RETURN_IF_ERROR(CheckInputSpecs(specs));
  IA_ASSIGN_OR_RETURN(auto given, models::LoadInputSpecs(specs));
  IA_RETURN_IF_ERROR(bench::CheckInputNames(model, given));
  bench::InputShape shape;
  for (const std::string& d : dims) {
    size_t eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--dim wants NAME=N with N > 0, got \"" + d + "\"");
    }
    IA_ASSIGN_OR_RETURN(shape.dims[d.substr(0, eq)],
                        ParseInt(d.substr(eq + 1), "--dim " + d.substr(0, eq), 1, 1'000'000));
  }
  auto feeds = bench::SynthesizeInputs(model, shape, given, seed);
  if (!feeds.ok()) {
    return feeds.status().WithContext("cannot make up the inputs not given with --input");
  }
  for (auto& [name, t] : given) (*feeds)[name] = t;  // also inputs that override an initializer
  for (const auto& [name, t] : *feeds) {
    if (given.count(name) || quiet) continue;
    std::fprintf(stderr,
                 "run: input %s is synthesized: %s %s (as bench makes them; give real data with "
                 "--input %s=FILE)\n",
                 TerminalSafe(name).c_str(), DTypeName(t.dtype()).c_str(),
                 ShapeToString(t.shape()).c_str(), TerminalSafe(name).c_str());
  }
  return feeds;
}

void AddPrecisionOption(CLI::App* cmd, std::string& precision) {
  cmd->add_option("--precision", precision,
                  "Arithmetic of the matrix products and 2-D convolutions with constant weights: "
                  "fp32 (as the model has it), bf16 (AVX512-BF16/AMX) or int8 (weights quantized "
                  "per output channel at load, inputs per run; VNNI); run prints what converted "
                  "(default fp32)")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
}

namespace {

struct RunOpts {
  std::string model, output_dir;
  std::vector<std::string> inputs, dims, backends;
  int threads = 0, repeat = 0, warmup = 1;
  uint64_t seed = 1;
  bool profile = false, no_optimize = false, json = false, offline = false;
  std::string memory_limit;  // empty: engine.memory_limit, else 80% of the available memory
  std::string precision = "fp32";
  double timeout = 0;  // seconds; 0: none
  std::string remote;  // --remote; "" for the configuration's remote.mode
  std::vector<std::string> peers;
  std::string hardware = "cpu";
};

// Writes each output to --output-dir and prints its summary, or the JSON of them with `extra`.
int PrintOutputs(const RunOpts& o, const std::map<std::string, Tensor>& outputs,
                 nlohmann::json extra) {
  if (!o.output_dir.empty()) {
    if (Status s = MakeDirs(o.output_dir); !s.ok()) return Fail(s);
  }
  nlohmann::json summaries = nlohmann::json::object();
  for (const auto& [name, t] : outputs) {
    if (!o.output_dir.empty()) {
      Status s = WriteFileAtomic(o.output_dir + "/" + SafeFileName(name) + ".npy", EncodeNpy(t));
      if (!s.ok()) return Fail(s);
    }
    TensorSummary summary = Summarize(t);
    if (o.json) {
      summaries[name] = SummaryJson(summary);
    } else {
      std::printf("%s: %s\n", TerminalSafe(name).c_str(), SummaryText(summary).c_str());
    }
  }
  if (o.json) {
    extra["outputs"] = summaries;
    std::printf("%s\n", DumpJson(extra, 2).c_str());
  }
  return 0;
}

// --remote: runs the model on a peer when the plan puts one before this node (router/remote.h),
// and prints its answer as a local run's. nullopt when the model is to run here: asked for, or
// every peer before this node failed (each failure logged).
std::optional<int> RunOnPeer(const Context& ctx, const Config& config, const RunOpts& o) {
  auto policy = router::RemotePolicyFromConfig(config, o.remote, o.peers);
  if (!policy.ok()) return Fail(policy.status());
  if (policy->mode == router::RemoteMode::kNever) return std::nullopt;
  if (o.repeat > 0 || o.profile || !o.backends.empty()) {
    return Fail(Status::InvalidArgument(
        "--repeat, --op-profile and --backends measure this node's engine: run them with "
        "--remote never"));
  }
  auto kind = router::ClassifyRef(ctx.repo_flag, o.model);
  if (!kind.ok()) return Fail(kind.status());
  std::string text = o.model.rfind("/ipfs/", 0) == 0 ? o.model.substr(6) : o.model;
  if (*kind == router::RefKind::kLocal || text.find('/') != std::string::npos) {
    return Fail(Status::InvalidArgument(
        "--remote sends a model to a peer by its CID: '" + o.model +
        "' is a local file or a path below a CID (add it first: ipfs-accelerate add PATH)"));
  }
  std::string cid;
  bool stored = false;
  {
    auto repo =
        store::Repo::Open(store::Repo::DefaultPath(ctx.repo_flag), store::Repo::Access::kShared, 0);
    if (!repo.ok()) return Fail(repo.status());
    auto root = (*repo)->Resolve(text);
    if (!root.ok()) return Fail(root.status());
    cid = root->ToString();
    auto whole = router::DagIsStored(**repo, *root);
    stored = whole.ok() && *whole;
  }
  router::RemoteInference remote(*policy, nullptr);
  std::vector<router::Choice> plan = remote.Plan(cid, stored);
  if (!plan.front().peer) return std::nullopt;
  for (const router::Choice& c : plan) Log(LogLevel::kInfo, "run: plan: " + c.why);

  // The inputs, made as a local run makes them when the model is here, else from the metadata of
  // the first peer of the plan.
  router::InferRequest request;
  if (stored) {
    std::string file_cid;
    auto model = router::LoadModelRef(ctx.repo_flag, o.model, &file_cid);
    if (!model.ok()) return Fail(model.status());
    auto feeds = RunFeeds(*model, o.inputs, o.dims, o.seed, o.json);
    if (!feeds.ok()) return Fail(feeds.status());
    request.inputs = std::move(feeds).value();
    cid = file_cid;  // peers know a model by its ONNX file's CID
  } else {
    auto info = remote.Describe(*plan.front().peer, cid);
    if (!info.ok()) return Fail(info.status());
    if (Status s = CheckInputSpecs(o.inputs); !s.ok()) return Fail(s);
    auto given = models::LoadInputSpecs(o.inputs);
    if (!given.ok()) return Fail(given.status());
    server::DynamicDims dims;
    for (const std::string& d : o.dims) {
      size_t eq = d.find('=');
      auto n =
          ParseInt(eq == std::string::npos ? "" : d.substr(eq + 1), "--dim " + d, 1, 1'000'000);
      if (!n.ok()) return Fail(n.status());
      std::string name = d.substr(0, eq);
      (name == "batch"                       ? dims.batch
       : name == "seq" || name == "sequence" ? dims.seq
                                             : dims.exact[name]) = *n;
    }
    std::vector<std::string> synthesized;
    auto inputs = server::MakeLoadgenInputs(*info, dims, *given, o.seed, &synthesized);
    if (!inputs.ok()) return Fail(inputs.status());
    for (auto& [name, t] : *inputs) request.inputs[name] = std::move(t);
    for (const std::string& name : synthesized) {
      if (!o.json) {
        std::fprintf(stderr, "run: input %s is synthesized (give real data with --input %s=FILE)\n",
                     TerminalSafe(name).c_str(), TerminalSafe(name).c_str());
      }
    }
  }
  request.model = cid;
  request.timeout_s = o.timeout;
  CancelToken cancel;
  ScopedSignalCancel stop_on_signal(&cancel);
  request.cancel = std::shared_ptr<CancelToken>(&cancel, [](CancelToken*) {});
  std::string peer;
  auto answer = remote.RunOnPeers(plan, cid, request, &peer);
  if (!answer.ok()) return Fail(answer.status());
  if (!*answer) {
    if (!o.json) std::fprintf(stderr, "run: no peer answered; running here\n");
    return std::nullopt;
  }
  if (!o.json) std::fprintf(stderr, "run: answered by peer %s\n", TerminalSafe(peer).c_str());
  return PrintOutputs(o, (*answer)->outputs, {{"peer", peer}});
}

}  // namespace

void RegisterEngineCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RunOpts>();
  auto* run = app.add_subcommand(
      "run",
      "Run an ONNX model on inputs from .npy or TensorProto .pb files (inputs not given are "
      "synthesized, as bench does) and print a summary of each output");
  run->add_option("model", o->model,
                  "Model file, directory with model.onnx, or CID/alias in the store")
      ->required();
  run->add_option("-i,--input", o->inputs,
                  "NAME=FILE (.npy or .pb), once per input; inputs left out are synthesized");
  run->add_option("--dim", o->dims,
                  "NAME=N: the size of a named dynamic dimension of synthesized inputs (batch "
                  "dimensions default to 1, sequence lengths to 128)");
  run->add_option("--seed", o->seed, "Seed of the synthesized inputs (default 1)");
  run->add_option("-o,--output-dir", o->output_dir, "Write each output as DIR/<name>.npy");
  run->add_option("--threads", o->threads, "Threads (default 0: one per core)")
      ->check(CLI::Range(0, 256));
  run->add_option("--backends", o->backends,
                  "Backends in priority order, comma-separated (reference,cpu): each node runs "
                  "on the first that runs it; cpu is added last (default: cpu). A browser EP "
                  "(webgpu, webnn, wasm) first runs the whole stored model in a local headless "
                  "browser")
      ->delimiter(',');
  run->add_option("--repeat", o->repeat, "Run N times and print latency statistics to stderr")
      ->check(CLI::Range(0, 100000));
  run->add_option("--warmup", o->warmup, "Untimed runs before --repeat (default 1)")
      ->check(CLI::Range(0, 10000));
  run->add_option("--memory-limit", o->memory_limit,
                  "Memory budget of the run: bytes or 512MiB, 4GiB (default: the "
                  "engine.memory_limit setting, else 80% of the available memory)");
  run->add_option("--timeout", o->timeout,
                  "Stop the runs after SECONDS (Ctrl-C and SIGTERM stop them too)")
      ->check(CLI::NonNegativeNumber);
  AddOfflineFlag(run, o->offline);
  AddRemoteFlags(run, o->remote, o->peers);
  run->add_flag("--no-optimize", o->no_optimize,
                "Run the graph as written (no folding, fusion or layout pass)");
  AddPrecisionOption(run, o->precision);
  AddHardwareOption(run, o->hardware);
  run->add_flag("--op-profile", o->profile,
                "Print what the optimizer did, the time per operator type and the slowest nodes "
                "to stderr");
  run->add_flag("--json", o->json,
                "Print the outputs' summaries as JSON: {\"outputs\": {NAME: {dtype, shape, min, "
                "max, mean, first, …}}}");
  run->callback([&ctx, o] {
    ctx.run = [&ctx, o]() -> int {
      auto config = LoadConfig(ctx);
      if (!config.ok()) return Fail(config.status());
      if (auto answered = RunOnPeer(ctx, *config, *o)) return *answered;
      if (Status s = FetchIfMissing(ctx, *config, o->model, o->offline, o->json); !s.ok()) {
        return Fail(s);
      }
      auto model = router::LoadModelRef(ctx.repo_flag, o->model);
      if (!model.ok()) return Fail(model.status());
      auto feeds = RunFeeds(*model, o->inputs, o->dims, o->seed, /*quiet=*/false);
      if (!feeds.ok()) return Fail(feeds.status());
      auto memory_limit = MemoryLimitSetting(o->memory_limit, *config);
      if (!memory_limit.ok()) return Fail(memory_limit.status());
      auto precision = engine::ParsePrecision(o->precision);
      if (!precision.ok()) return Fail(precision.status());
      auto hw_choice = ResolveHardware(ctx, *config, o->hardware, &*model, *precision);
      if (!hw_choice.ok()) return Fail(hw_choice.status());
      int threads = o->threads > 0 ? o->threads : hw_choice->threads;
      std::vector<std::string> backends = o->backends;
      if (hw_choice->platform != "cpu") backends.insert(backends.begin(), hw_choice->platform);
      // A browser EP among them: a headless browser here, attached for this run.
      auto local_browser = LocalBrowserFor(ctx, *config, backends);
      if (!local_browser.ok()) return Fail(local_browser.status());
      auto session = engine::Session::Create(
          std::move(model).value(),
          {.threads = threads,
           .profile = o->profile,
           .optimize = !o->no_optimize,
           .precision = *precision,
           .memory_limit = *memory_limit,
           .backends = backends,
           .registry = *local_browser ? &(*local_browser)->registry : nullptr});
      if (!session.ok()) return Fail(session.status());
      if (!o->json && !(*session)->precision_summary().empty()) {
        std::fprintf(stderr, "precision: %s\n", (*session)->precision_summary().c_str());
      }
      if (!o->json && !o->backends.empty()) {
        std::fprintf(stderr, "placement: %s\n", (*session)->placement_summary().c_str());
      }
      CancelToken cancel;
      if (o->timeout > 0) {
        cancel.SetTimeout(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(o->timeout)));
      }
      ScopedSignalCancel stop_on_signal(&cancel);
      Result<std::map<std::string, Tensor>> outputs = Status::Internal("not run");
      std::vector<double> ms;
      int total = o->repeat > 0 ? o->warmup + o->repeat : 1;
      for (int i = 0; i < total; ++i) {
        if (o->repeat > 0 && i == o->warmup) (*session)->ResetProfile();
        auto t0 = std::chrono::steady_clock::now();
        outputs = (*session)->Run(*feeds, {.cancel = &cancel});
        if (!outputs.ok()) return Fail(outputs.status());
        double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
        if (o->repeat > 0 && i >= o->warmup) ms.push_back(dt);
      }
      if (!ms.empty()) {
        bench::SampleStats stats = bench::Summarize(ms);
        std::fprintf(stderr, "latency_ms median=%.3f p90=%.3f min=%.3f\n", stats.median, stats.p90,
                     stats.min);
      }
      if (o->profile) {
        std::fprintf(stderr, "optimizer: %s\n", (*session)->optimizer_summary().c_str());
        PrintProfile((*session)->profile());
      }
      nlohmann::json placement = nlohmann::json::object();
      for (const auto& [name, n] : (*session)->placement().Counts((*session)->backends())) {
        placement[name] = n;
      }
      const engine::Backend* whole = (*session)->model_backend();
      return PrintOutputs(*o, *outputs,
                          {{"placement", placement},
                           {"fallbacks", (*session)->placement().fallbacks.size()},
                           {"model_backend", whole ? nlohmann::json(whole->name()) : nullptr},
                           {"backend_fallbacks", (*session)->fallback_runs()}});
    };
  });

  auto dirs = std::make_shared<std::vector<std::string>>();
  auto verbose = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(1);
  auto* conf = app.add_subcommand(
      "conformance", "Run ONNX backend test cases (folders with model.onnx and test_data_set_*)");
  conf->add_option("dirs", *dirs, "Case folders, or folders of case folders")->required();
  conf->add_flag("-v,--verbose", *verbose, "Also list the cases that pass");
  conf->add_option("--threads", *threads, "Threads per case (default 1; 0: one per core)")
      ->check(CLI::Range(0, 256));
  conf->callback([&ctx, dirs, verbose, threads] {
    ctx.run = [dirs, verbose, threads]() -> int {
      int passed = 0, failed = 0, skipped = 0;
      std::map<std::string, int> skip_reasons;
      for (const std::string& d : *dirs) {
        auto cases = engine::FindConformanceCases(d);
        if (cases.empty())
          return Fail(Status::NotFound("no ONNX test cases (model.onnx) under " + d));
        for (const std::string& c : cases) {
          auto r = engine::RunConformanceCase(c, *threads);
          using O = engine::ConformanceResult::Outcome;
          if (r.outcome == O::kPassed) {
            ++passed;
            if (*verbose) std::printf("pass %s\n", TerminalSafe(r.name).c_str());
          } else if (r.outcome == O::kSkipped) {
            ++skipped;
            skip_reasons[r.reason]++;
            std::printf("skip %s: %s\n", TerminalSafe(r.name).c_str(),
                        TerminalSafe(r.reason).c_str());
          } else {
            ++failed;
            std::printf("FAIL %s: %s\n", TerminalSafe(r.name).c_str(),
                        TerminalSafe(r.reason).c_str());
          }
        }
      }
      int total = passed + failed + skipped;
      std::printf("conformance: %d/%d passed, %d failed, %d skipped\n", passed, total, failed,
                  skipped);
      return 0;
    };
  });
}

}  // namespace ipfs_accelerate::cli
