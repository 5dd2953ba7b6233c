// analyze, compat, plan: the performance model's questions (perf/), asked from the command line.
#include <algorithm>
#include <cstdio>

#include "bench/report_common.h"
#include "browser/hub.h"
#include "cli/cli.h"
#include "core/json_util.h"
#include "core/memory_budget.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "engine/precision.h"
#include "hardware/platform.h"
#include "hardware/system_view.h"
#include "perf/cost.h"
#include "router/bench_run.h"
#include "router/model_ref.h"
#include "router/planning.h"
#include "store/repo.h"

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
              HumanBytes(cost->weight_bytes).c_str(),
              HumanBytes(cost->activation_peak_bytes).c_str(),
              HumanBytes(cost->input_bytes).c_str(), HumanBytes(cost->output_bytes).c_str());
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

// The 8 platforms (hardware::PlatformNames), and "auto" first when `with_auto`.
std::vector<std::string> PlatformChoices(bool with_auto) {
  std::vector<std::string> v;
  if (with_auto) v.push_back("auto");
  for (const std::string& p : hardware::PlatformNames()) v.push_back(p);
  return v;
}

// The flags compat and plan share.
struct PlanFlags {
  std::vector<std::string> models, hardware, precisions = {"fp32", "bf16", "int8"}, dims;
  std::vector<int64_t> batches;
  int64_t seq = 128;
  double latency_budget_ms = 0, throughput_target = 0;
  std::string memory_limit, profiles_file, db;
  bool db_given = false, json = false, fit = false, validate = false, all_platforms = false;
};

// Seconds as milliseconds, as the bench tables print them.
std::string Ms(double s) { return bench::FormatMs(s * 1000); }

// Everything compat, plan and --hardware read about this machine: hardware, profiles (with
// hw --calibrate's measurements from the results database, when there is one), calibration.
Result<router::PlanningInputs> Gather(const Context& ctx, const Config& config,
                                      const std::string& db_flag, bool db_given,
                                      const std::string& profiles_file,
                                      std::unique_ptr<bench::ResultsDb>* db_out) {
  std::unique_ptr<bench::ResultsDb> db;
  IA_ASSIGN_OR_RETURN(std::string path, DbPath(db_flag, db_given, config));
  // A database that does not exist yet is no error: there is nothing measured to read.
  auto opened = OpenDb(path, bench::ResultsDb::Mode::kMustExist);
  if (opened.ok()) {
    db = std::move(opened).value();
  } else if (opened.status().code() != StatusCode::kNotFound) {
    return opened.status();
  }
  auto view = hardware::RealSystemView();
  IA_ASSIGN_OR_RETURN(router::PlanningInputs in,
                      router::GatherPlanningInputs(*view, config, db.get(), profiles_file,
                                                   store::Repo::DefaultPath(ctx.repo_flag)));
  in.front_end_backends = browser::WebExecutionProviders();
  if (db_out) *db_out = std::move(db);
  return in;
}

Result<router::PlanningInputs> Gather(const Context& ctx, const PlanFlags& f,
                                      std::unique_ptr<bench::ResultsDb>* db_out) {
  IA_ASSIGN_OR_RETURN(Config config, LoadConfig(ctx));
  return Gather(ctx, config, f.db, f.db_given, f.profiles_file, db_out);
}

Result<std::vector<engine::Precision>> Precisions(const std::vector<std::string>& names) {
  std::vector<engine::Precision> v;
  for (const std::string& n : names) {
    IA_ASSIGN_OR_RETURN(engine::Precision p, engine::ParsePrecision(n));
    v.push_back(p);
  }
  return v;
}

void PrintNotes(const router::PlanningInputs& in) {
  for (const std::string& n : in.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
}

int Compat(const Context& ctx, const PlanFlags& f) {
  if (f.models.size() != 1) return Fail(Status::InvalidArgument("compat takes one model"));
  auto in = Gather(ctx, f, nullptr);
  if (!in.ok()) return Fail(in.status());
  auto dims = ParseDimSpecs(f.dims);
  if (!dims.ok()) return Fail(dims.status());
  auto model = router::LoadModelRef(ctx.repo_flag, f.models[0]);
  if (!model.ok()) return Fail(model.status());
  int64_t batch = f.batches.empty() ? 1 : f.batches[0];
  auto costs = router::CostTableFor(*model, {batch}, {engine::Precision::kFp32}, f.seq, *dims);
  if (!costs.ok()) return Fail(costs.status().WithContext("analyzing " + f.models[0]));
  std::vector<perf::Target> targets = router::MakeTargets(*in, f.hardware, /*absent=*/true);
  std::vector<perf::CompatRow> rows = perf::Compatibility(*costs, batch, targets);
  if (f.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const perf::CompatRow& r : rows) j.push_back(perf::ToJson(r));
    std::printf("%s\n",
                DumpJson({{"model", f.models[0]}, {"batch", batch}, {"platforms", j}}, 2).c_str());
    return 0;
  }
  PrintNotes(*in);
  std::printf("%-9s %-28s %-5s %-7s %-4s %-14s %12s %10s %5s %-10s %s\n", "PLATFORM", "DEVICE",
              "HERE", "BACKEND", "FITS", "PRECISIONS", "LATENCY ms", "MEMORY", "SCORE",
              "CONFIDENCE", "NOTE");
  for (const perf::CompatRow& r : rows) {
    std::string precisions;
    for (const std::string& p : r.precisions) precisions += (precisions.empty() ? "" : ",") + p;
    std::printf("%-9s %-28s %-5s %-7s %-4s %-14s %12s %10s %5.0f %-10s %s\n", r.platform.c_str(),
                TerminalSafe(r.device.substr(0, 28)).c_str(), r.available ? "yes" : "no",
                r.has_backend ? "yes" : "no", r.fits ? "yes" : "no", precisions.c_str(),
                Ms(r.prediction.latency_s).c_str(), HumanBytes(r.prediction.memory_bytes).c_str(),
                r.score, r.confidence.c_str(), r.note.c_str());
  }
  return 0;
}

std::string Describe(const perf::Candidate& c) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "%s (%s), %s, batch %lld%s: latency %s ms [%s..%s], %.1f items/s, memory %s%s",
                c.platform.c_str(), c.device.c_str(), engine::PrecisionName(c.precision),
                static_cast<long long>(c.batch),
                c.threads > 0 ? (", " + std::to_string(c.instances) + " x " +
                                 std::to_string(c.threads) + " threads")
                                    .c_str()
                              : "",
                Ms(c.prediction.latency_s).c_str(), Ms(c.prediction.latency_low_s).c_str(),
                Ms(c.prediction.latency_high_s).c_str(), c.throughput,
                HumanBytes(c.memory_bytes).c_str(), c.has_backend ? "" : " (no backend yet)");
  return buf;
}

int FitOrValidate(const Context& ctx, const PlanFlags& f) {
  std::unique_ptr<bench::ResultsDb> db;
  auto in = Gather(ctx, f, &db);
  if (!in.ok()) return Fail(in.status());
  if (!db) return Fail(Status::NotFound("no results database: run bench first (or give --db)"));
  std::vector<std::string> notes;
  auto obs = router::CollectObservations(*db, ctx.repo_flag, f.models, *in, &notes);
  if (!obs.ok()) return Fail(obs.status());
  for (const std::string& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  if (obs->empty()) {
    return Fail(Status::NotFound(
        "the database holds no cpu single-stream results of these models from this machine: "
        "bench them first"));
  }
  perf::Coefficients prior = perf::PriorCoefficients(in->cpu.front());
  auto loo = perf::LeaveOneModelOut(*obs, prior);
  if (!loo.ok()) return Fail(loo.status());
  perf::Calibration cal;
  if (f.fit) {
    auto c = perf::FitCoefficients(*obs, prior);
    if (!c.ok()) return Fail(c.status());
    cal.coefficients = *c;
    cal.fingerprint = in->fingerprint;
    cal.fitted_at = router::UtcNow();
    cal.observations = static_cast<int64_t>(obs->size());
    for (const perf::Observation& o : *obs) {
      if (std::find(cal.models.begin(), cal.models.end(), o.model) == cal.models.end()) {
        cal.models.push_back(o.model);
      }
    }
    cal.latency_mape = loo->latency_mape;
    cal.memory_mape = loo->memory_mape;
    cal.latency_error_rms = loo->latency_error_rms;
    cal.memory_error_rms = loo->memory_error_rms;
    Status s = router::SaveCalibration(store::Repo::DefaultPath(ctx.repo_flag), cal);
    if (!s.ok()) return Fail(s);
  }
  if (f.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const perf::ValidationRow& r : loo->rows) {
      rows.push_back({{"model", r.model},
                      {"configuration", r.label},
                      {"predicted_s", r.predicted_s},
                      {"measured_s", r.measured_s},
                      {"predicted_bytes", r.predicted_bytes},
                      {"measured_bytes", r.measured_bytes}});
    }
    nlohmann::json j = {{"leave_one_model_out", rows},
                        {"latency_mape", loo->latency_mape},
                        {"memory_mape", loo->memory_mape}};
    if (f.fit) j["calibration"] = perf::ToJson(cal);
    std::printf("%s\n", DumpJson(j, 2).c_str());
    return 0;
  }
  std::printf("%-40s %12s %12s %8s %10s %10s %8s\n", "CONFIGURATION (model left out of the fit)",
              "PREDICTED ms", "MEASURED ms", "ERROR", "PRED MEM", "PEAK RSS", "ERROR");
  for (const perf::ValidationRow& r : loo->rows) {
    std::printf("%-40s %12s %12s %+7.1f%% %10s %10s %+7.1f%%\n", r.label.substr(0, 40).c_str(),
                Ms(r.predicted_s).c_str(), Ms(r.measured_s).c_str(),
                100 * (r.predicted_s / r.measured_s - 1), HumanBytes(r.predicted_bytes).c_str(),
                HumanBytes(r.measured_bytes).c_str(),
                r.measured_bytes > 0 ? 100 * (r.predicted_bytes / r.measured_bytes - 1) : 0.0);
  }
  std::printf(
      "mean absolute error, leave-one-model-out: latency %.1f%%, peak memory %.1f%% "
      "(%zu configurations)\n",
      100 * loo->latency_mape, 100 * loo->memory_mape, loo->rows.size());
  if (f.fit) {
    std::printf("calibration stored for hardware %s (fitted on all %zu configurations)\n",
                in->fingerprint.c_str(), obs->size());
  }
  return 0;
}

int Plan(const Context& ctx, const PlanFlags& f) {
  if (f.fit || f.validate) return FitOrValidate(ctx, f);
  if (f.models.size() != 1) {
    return Fail(
        Status::InvalidArgument("plan takes one model (several only with --fit or --validate)"));
  }
  auto in = Gather(ctx, f, nullptr);
  if (!in.ok()) return Fail(in.status());
  auto dims = ParseDimSpecs(f.dims);
  if (!dims.ok()) return Fail(dims.status());
  auto precisions = Precisions(f.precisions);
  if (!precisions.ok()) return Fail(precisions.status());
  perf::PlanRequest req;
  req.latency_budget_s = f.latency_budget_ms / 1000;
  req.throughput_target = f.throughput_target;
  if (!f.memory_limit.empty()) {
    auto m = ParseByteSize(f.memory_limit, "--memory-limit");
    if (!m.ok()) return Fail(m.status());
    req.memory_limit_bytes = static_cast<double>(*m);
  }
  auto model = router::LoadModelRef(ctx.repo_flag, f.models[0]);
  if (!model.ok()) return Fail(model.status());
  router::PlanQuery q;
  q.batches = f.batches;
  q.precisions = *precisions;
  q.seq = f.seq;
  q.dims = *dims;
  q.platforms = f.hardware;
  q.all_platforms = f.all_platforms;
  q.request = req;
  auto plan = router::PlanModel(*model, *in, q);
  if (!plan.ok()) return Fail(plan.status());
  if (f.json) {
    nlohmann::json j = perf::ToJson(*plan);
    j["model"] = f.models[0];
    j["notes"] = in->notes;
    std::printf("%s\n", DumpJson(j, 2).c_str());
    return plan->feasible ? 0 : 1;
  }
  PrintNotes(*in);
  std::printf("%s: %s\n", plan->feasible ? "plan" : "no plan meets the constraints; closest",
              Describe(plan->chosen).c_str());
  std::printf("  why: %s\n  basis: %s\n", plan->why.c_str(), plan->chosen.prediction.basis.c_str());
  for (size_t i = 0; i < plan->fallbacks.size(); ++i) {
    std::printf("  fallback %zu: %s\n", i + 1, Describe(plan->fallbacks[i]).c_str());
  }
  for (const std::string& r : plan->recommendations) std::printf("  consider %s\n", r.c_str());
  return plan->feasible ? 0 : 1;
}

void AddPlanFlags(CLI::App* cmd, PlanFlags& f) {
  cmd->add_option("--seq", f.seq, "Sequence length for models that have one (default 128)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--dim", f.dims, "NAME=N: the size of a named dynamic dimension");
  cmd->add_option("--hardware", f.hardware,
                  "Platforms to consider, comma-separated (default: all 8)")
      ->delimiter(',')
      ->check(CLI::IsMember(PlatformChoices(/*with_auto=*/false)));
  cmd->add_option("--profiles-file", f.profiles_file,
                  "Device profiles (CSV as hw --profiles prints; default: the built-in ones)");
  auto* db = cmd->add_option("--db", f.db,
                             "Results database with hw --calibrate's measurements and bench runs "
                             "(default: bench.db in the configuration, else REPO/results.duckdb)");
  cmd->add_flag("--json", f.json, "Print the answer as JSON");
  cmd->parse_complete_callback([&f, db] { f.db_given = db->count() > 0; });
}

}  // namespace

void AddHardwareOption(CLI::App* cmd, std::string& hardware) {
  cmd->add_option("--hardware", hardware,
                  "Platform to run on: cpu (default), another with a backend in this build, or "
                  "auto: the deployment plan's choice among the available platforms with a "
                  "backend (logged, with every platform passed over)")
      ->check(CLI::IsMember(PlatformChoices(/*with_auto=*/true)));
}

Result<router::HardwareChoice> ResolveHardware(const Context& ctx, const Config& config,
                                               const std::string& hardware,
                                               const engine::Model* model,
                                               engine::Precision precision) {
  if (hardware.empty() || hardware == "cpu") return router::HardwareChoice{};
  IA_ASSIGN_OR_RETURN(router::PlanningInputs in, Gather(ctx, config, "", false, "", nullptr));
  return router::ChooseHardware(hardware, model, in, precision);
}

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

  auto cf = std::make_shared<PlanFlags>();
  auto* compat = app.add_subcommand(
      "compat",
      "Compatibility matrix: for each of the 8 platforms, does the model fit, which precisions "
      "the device has, whether this build has a backend for it, predicted latency and memory, "
      "a score and its confidence");
  compat->add_option("model", cf->models, "Model file, directory or CID/alias")->required();
  compat->add_option("--batch", cf->batches, "Batch size (default 1)")
      ->check(CLI::Range(1, 1 << 20));
  AddPlanFlags(compat, *cf);
  compat->callback([&ctx, cf] { ctx.run = [&ctx, cf] { return Compat(ctx, *cf); }; });

  auto pf = std::make_shared<PlanFlags>();
  auto* plan = app.add_subcommand(
      "plan",
      "Deployment plan: the platform, precision, batch, threads and instances predicted to meet "
      "the constraints, with a fallback chain; --fit calibrates the model to this machine's "
      "bench runs, --validate checks it (leave one model out)");
  plan->add_option("model", pf->models,
                   "Model file, directory or CID/alias (with --fit/--validate: the benchmarked "
                   "models, several)")
      ->required();
  plan->add_option("--latency-budget", pf->latency_budget_ms, "Milliseconds a request may take")
      ->check(CLI::PositiveNumber);
  plan->add_option("--throughput-target", pf->throughput_target, "Items per second to sustain")
      ->check(CLI::PositiveNumber);
  plan->add_option("--memory-limit", pf->memory_limit,
                   "Memory the deployment may use: bytes or 512MiB, 4GiB (default: the device's)");
  plan->add_option("--batch", pf->batches, "Batch sizes to consider (default 1,2,4,8,16,32)")
      ->delimiter(',')
      ->check(CLI::Range(1, 1 << 20));
  plan->add_option("--precision", pf->precisions,
                   "Precisions to consider, comma-separated (default fp32,bf16,int8)")
      ->delimiter(',')
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
  plan->add_flag("--all-platforms", pf->all_platforms,
                 "Plan over every platform's representative device, not only the ones found here");
  plan->add_flag("--fit", pf->fit,
                 "Fit the model's efficiencies to the bench results of the given models (this "
                 "machine's runs in the database) and store the calibration in REPO");
  plan->add_flag("--validate", pf->validate,
                 "Predict each given model's bench results from a fit to the others and print "
                 "the error per configuration");
  AddPlanFlags(plan, *pf);
  plan->callback([&ctx, pf] { ctx.run = [&ctx, pf] { return Plan(ctx, *pf); }; });
}

}  // namespace ipfs_accelerate::cli
