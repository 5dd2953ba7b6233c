// analyze, compat, plan: the performance model's questions (perf/), asked from the command line.
#include <algorithm>
#include <cstdio>

#include "cli/cli.h"
#include "core/json_util.h"
#include "engine/precision.h"
#include "perf/cost.h"
#include "router/model_ref.h"

namespace ipfs_accelerate::cli {
namespace {

// "22.4 G", "512 M", "1.20 k": a count in SI units.
std::string Si(double v) {
  const char* units[] = {"", " k", " M", " G", " T", " P"};
  int u = 0;
  while (v >= 1000 && u < 5) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f%s" : v >= 10 ? "%.1f%s" : "%.2f%s", v, units[u]);
  return buf;
}

std::string Mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1 << 20));
  return buf;
}

struct AnalyzeFlags {
  std::string model, precision = "fp32";
  int64_t batch = 1, seq = 128, top = 10;
  std::vector<std::string> dims;
  bool json = false, nodes = false;
};

int Analyze(const Context& ctx, const AnalyzeFlags& f) {
  perf::AnalyzeOptions o;
  o.batch = f.batch;
  o.seq = f.seq;
  auto dims = ParseDimSpecs(f.dims);
  if (!dims.ok()) return Fail(dims.status());
  o.dims = *dims;
  auto precision = engine::ParsePrecision(f.precision);
  if (!precision.ok()) return Fail(precision.status());
  o.precision = *precision;
  auto model = router::LoadModelRef(ctx.repo_flag, f.model);
  if (!model.ok()) return Fail(model.status());
  auto cost = perf::AnalyzeModel(*model, o);
  if (!cost.ok()) return Fail(cost.status().WithContext("analyzing " + f.model));
  if (f.json) {
    std::printf("%s\n", DumpJson(perf::ToJson(*cost, f.nodes), 2).c_str());
    return 0;
  }
  std::printf("%s at", f.model.c_str());
  for (const auto& [name, shape] : cost->input_shapes) {
    std::string s;
    for (int64_t d : shape) s += (s.empty() ? "" : "x") + std::to_string(d);
    std::printf(" %s[%s]", name.c_str(), s.c_str());
  }
  std::printf(", %s\n", engine::PrecisionName(o.precision));
  std::printf("  FLOPs %s   moved %sB   intensity %.1f FLOP/B\n", Si(cost->flops).c_str(),
              Si(cost->bytes).c_str(), cost->ArithmeticIntensity());
  std::printf("  weights %s   activations at peak %s   inputs %s   outputs %s\n",
              Mib(cost->weight_bytes).c_str(), Mib(cost->activation_peak_bytes).c_str(),
              Mib(cost->input_bytes).c_str(), Mib(cost->output_bytes).c_str());
  if (cost->unknown_nodes > 0) {
    std::printf("  %lld nodes of unknown shape are not counted\n",
                static_cast<long long>(cost->unknown_nodes));
  }
  if (cost->traced) std::printf("  (shapes learned by running the model once)\n");
  std::printf("\n%-16s %6s %10s %7s %10s %9s\n", "CLASS", "NODES", "FLOPs", "SHARE", "BYTES",
              "FLOP/B");
  for (const auto& [c, k] : cost->by_class) {
    std::printf("%-16s %6lld %10s %6.1f%% %10s %9.1f\n", perf::ToString(c).c_str(),
                static_cast<long long>(k.nodes), Si(k.flops).c_str(),
                cost->flops > 0 ? 100 * k.flops / cost->flops : 0.0, Si(k.bytes).c_str(),
                k.bytes > 0 ? k.flops / k.bytes : 0.0);
  }
  std::vector<std::pair<std::string, perf::ClassCost>> ops(cost->by_op_type.begin(),
                                                           cost->by_op_type.end());
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) {
    return a.second.flops != b.second.flops ? a.second.flops > b.second.flops
                                            : a.second.bytes > b.second.bytes;
  });
  std::printf("\n%-24s %6s %10s %7s %10s\n", "OP TYPE", "NODES", "FLOPs", "SHARE", "BYTES");
  for (const auto& [op, k] : ops) {
    std::printf("%-24s %6lld %10s %6.1f%% %10s\n", op.c_str(), static_cast<long long>(k.nodes),
                Si(k.flops).c_str(), cost->flops > 0 ? 100 * k.flops / cost->flops : 0.0,
                Si(k.bytes).c_str());
  }
  std::vector<const perf::NodeCost*> heavy;
  for (const perf::NodeCost& n : cost->nodes) heavy.push_back(&n);
  std::sort(heavy.begin(), heavy.end(), [](const perf::NodeCost* a, const perf::NodeCost* b) {
    return a->flops != b->flops ? a->flops > b->flops : a->Bytes() > b->Bytes();
  });
  heavy.resize(std::min<size_t>(heavy.size(), static_cast<size_t>(std::max<int64_t>(0, f.top))));
  std::printf("\n%-40s %-18s %10s %10s %9s\n", "HEAVIEST NODES", "OP TYPE", "FLOPs", "BYTES",
              "FLOP/B");
  for (const perf::NodeCost* n : heavy) {
    std::printf("%-40s %-18s %10s %10s %9.1f\n", n->name.substr(0, 40).c_str(), n->op_type.c_str(),
                Si(n->flops).c_str(), Si(n->Bytes()).c_str(),
                n->Bytes() > 0 ? n->flops / n->Bytes() : 0.0);
  }
  return 0;
}

}  // namespace

void RegisterPerfCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<AnalyzeFlags>();
  auto* analyze = app.add_subcommand(
      "analyze",
      "What a model costs at given input sizes: FLOPs, bytes moved, weights and peak activation "
      "memory, per operator class and type, and the heaviest nodes (graph as the engine runs it)");
  analyze->add_option("model", f->model, "Model file, directory or CID/alias in the store")
      ->required();
  analyze->add_option("--batch", f->batch, "Batch size (default 1)")->check(CLI::Range(1, 1 << 20));
  analyze->add_option("--seq", f->seq, "Sequence length for models that have one (default 128)")
      ->check(CLI::Range(1, 1 << 20));
  analyze->add_option("--dim", f->dims, "NAME=N: the size of a named dynamic dimension");
  AddPrecisionOption(analyze, f->precision);
  analyze->add_option("--top", f->top, "How many of the heaviest nodes to list (default 10)");
  analyze->add_flag("--json", f->json, "Print the analysis as JSON");
  analyze->add_flag("--nodes", f->nodes, "With --json: every node's cost too");
  analyze->callback([&ctx, f] { ctx.run = [&ctx, f] { return Analyze(ctx, *f); }; });
}

}  // namespace ipfs_accelerate::cli
