// run and conformance: the inference engine's commands.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cli/cli.h"
#include "core/file_util.h"
#include "core/npy.h"
#include "engine/conformance.h"
#include "engine/onnx_loader.h"
#include "engine/session.h"
#include "models/model_ref.h"

namespace ipfs_accelerate::cli {
namespace {

std::string SafeFileName(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x20) c = '_';
  }
  return name.empty() || name[0] == '.' ? "_" + name : name;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  double idx = p * (v.size() - 1);
  size_t lo = static_cast<size_t>(idx);
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (idx - lo);
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
  std::fprintf(stderr, "profile: %.3f ms per run in %zu nodes\n", total, nodes.size());
  for (const auto& [ms, op] : ops) {
    std::fprintf(stderr, "  %-24s %9.3f ms %5.1f%% %5d nodes\n", op.c_str(), ms,
                 total > 0 ? 100 * ms / total : 0, by_op[op].second);
  }
  std::vector<const engine::NodeProfile*> slow;
  for (const auto& n : nodes) {
    if (n.runs) slow.push_back(&n);
  }
  std::sort(slow.begin(), slow.end(),
            [](auto* a, auto* b) { return a->total_ms / a->runs > b->total_ms / b->runs; });
  std::fprintf(stderr, "slowest nodes:\n");
  for (size_t i = 0; i < std::min<size_t>(10, slow.size()); ++i) {
    std::fprintf(stderr, "  %-40s %-20s %9.3f ms\n", slow[i]->name.c_str(),
                 slow[i]->op_type.c_str(), slow[i]->total_ms / slow[i]->runs);
  }
}

}  // namespace

void RegisterEngineCommands(CLI::App& app, Context& ctx) {
  struct RunOpts {
    std::string model, output_dir;
    std::vector<std::string> inputs;
    int threads = 0, repeat = 0, warmup = 1;
    bool profile = false, no_optimize = false;
  };
  auto o = std::make_shared<RunOpts>();
  auto* run =
      app.add_subcommand("run", "Run an ONNX model on inputs from .npy or TensorProto .pb files");
  run->add_option("model", o->model,
                  "Model file, directory with model.onnx, or CID/alias in the store")
      ->required();
  run->add_option("-i,--input", o->inputs, "NAME=FILE (.npy or .pb), once per input");
  run->add_option("-o,--output-dir", o->output_dir, "Write each output as DIR/<name>.npy");
  run->add_option("--threads", o->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  run->add_option("--repeat", o->repeat, "Run N times and print latency statistics to stderr")
      ->check(CLI::Range(0, 100000));
  run->add_option("--warmup", o->warmup, "Untimed runs before --repeat (default 1)")
      ->check(CLI::Range(0, 10000));
  run->add_flag("--no-optimize", o->no_optimize,
                "Run the graph as written (no folding, fusion or layout pass)");
  run->add_flag("--profile", o->profile,
                "Print the time per operator type and the slowest nodes to stderr");
  run->callback([&ctx, o] {
    ctx.run = [&ctx, o]() -> int {
      auto model = models::LoadModelRef(ctx.repo_flag, o->model);
      if (!model.ok()) return Fail(model.status());
      auto feeds = models::LoadInputSpecs(o->inputs);
      if (!feeds.ok()) return Fail(feeds.status());
      auto session = engine::Session::Create(
          std::move(model).value(),
          {.threads = o->threads, .profile = o->profile, .optimize = !o->no_optimize});
      if (!session.ok()) return Fail(session.status());
      Result<std::map<std::string, Tensor>> outputs = Status::Internal("not run");
      std::vector<double> ms;
      int total = o->repeat > 0 ? o->warmup + o->repeat : 1;
      for (int i = 0; i < total; ++i) {
        if (o->repeat > 0 && i == o->warmup) (*session)->ResetProfile();
        auto t0 = std::chrono::steady_clock::now();
        outputs = (*session)->Run(*feeds);
        if (!outputs.ok()) return Fail(outputs.status());
        double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
        if (o->repeat > 0 && i >= o->warmup) ms.push_back(dt);
      }
      if (!ms.empty()) {
        std::fprintf(stderr, "latency_ms median=%.3f p90=%.3f min=%.3f\n", Percentile(ms, 0.5),
                     Percentile(ms, 0.9), *std::min_element(ms.begin(), ms.end()));
      }
      if (o->profile) {
        std::fprintf(stderr, "optimizer: %s\n", (*session)->optimizer_summary().c_str());
        PrintProfile((*session)->profile());
      }
      if (!o->output_dir.empty()) {
        if (Status s = MakeDirs(o->output_dir); !s.ok()) return Fail(s);
      }
      for (const auto& [name, t] : *outputs) {
        if (!o->output_dir.empty()) {
          Status s =
              WriteFileAtomic(o->output_dir + "/" + SafeFileName(name) + ".npy", EncodeNpy(t));
          if (!s.ok()) return Fail(s);
        }
        std::printf("%s: %s %s\n", name.c_str(), DTypeName(t.dtype()).c_str(),
                    ShapeToString(t.shape()).c_str());
      }
      return 0;
    };
  });

  auto dirs = std::make_shared<std::vector<std::string>>();
  auto verbose = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(1);
  auto* conf = app.add_subcommand(
      "conformance", "Run ONNX backend test cases (folders with model.onnx and test_data_set_*)");
  conf->add_option("dirs", *dirs, "Case folders, or folders of case folders")->required();
  conf->add_flag("-v,--verbose", *verbose, "Also list the cases that pass");
  conf->add_option("--threads", *threads, "Threads per case (default 1)")
      ->check(CLI::Range(1, 256));
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
            if (*verbose) std::printf("pass %s\n", r.name.c_str());
          } else if (r.outcome == O::kSkipped) {
            ++skipped;
            skip_reasons[r.reason]++;
            std::printf("skip %s: %s\n", r.name.c_str(), r.reason.c_str());
          } else {
            ++failed;
            std::printf("FAIL %s: %s\n", r.name.c_str(), r.reason.c_str());
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
