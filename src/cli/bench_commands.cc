// bench, report and compare: measuring models into the results database and reading it back.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include "bench/compare.h"
#include "bench/report.h"
#include "bench/report_common.h"
#include "bench/results_db.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/file_util.h"
#include "core/json_util.h"
#include "core/memory_budget.h"
#include "core/parse_number.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "router/bench_run.h"

namespace ipfs_accelerate::cli {
namespace {

// Set by Ctrl-C while a benchmark runs; the runner polls it between timed runs.
std::atomic<bool> g_stop{false};

void OnInterrupt(int) {
  g_stop.store(true);
  signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// `text` made safe for the terminal and cut to at most `width` bytes on a character boundary.
std::string Cell(const std::string& text, size_t width) {
  std::string safe = TerminalSafe(text);
  if (safe.size() <= width) return safe;
  size_t cut = width;
  while (cut > 0 && (static_cast<unsigned char>(safe[cut]) & 0xC0) == 0x80) --cut;
  return safe.substr(0, cut);
}

void PrintSummary(const bench::RunRecord& run) {
  std::printf("%-28s %6s %5s %4s %-13s %6s %10s %7s %10s %10s %12s %10s  %s\n", "model", "batch",
              "seq", "thr", "scenario", "n", "p50 ms", "±ci", "p90 ms", "p99 ms", "items/s",
              "peak RSS", "notes");
  for (const auto& r : run.results) {
    const auto& s = r.stats;
    std::string ci = s.ci_valid ? bench::FormatMs(100 * s.ci_rel) + "%" : "n/a";
    std::string notes;
    if (r.interrupted) notes += "interrupted ";
    if (!r.converged && !r.interrupted) notes += "budget spent ";
    if (s.outliers) notes += Plural(s.outliers, "outlier");
    if (r.precision != "fp32") {
      char buf[96];
      std::snprintf(buf, sizeof buf, " %s: cosine %.5f vs fp32", r.precision.c_str(),
                    r.cosine_vs_fp32);
      notes += buf;
      if (!std::isnan(r.top1_vs_fp32)) {
        std::snprintf(buf, sizeof buf, ", top-1 %.0f%%", 100 * r.top1_vs_fp32);
        notes += buf;
      }
    }
    std::printf("%-28s %6lld %5lld %4lld %-13s %6zu %10s %7s %10s %10s %12.1f %10s  %s\n",
                Cell(r.model_name, 28).c_str(), static_cast<long long>(r.batch),
                static_cast<long long>(r.seq), static_cast<long long>(r.threads),
                r.scenario.c_str(), s.count, bench::FormatMs(s.median).c_str(), ci.c_str(),
                bench::FormatMs(s.p90).c_str(), bench::FormatMs(s.p99).c_str(), r.throughput,
                HumanBytes(r.peak_rss_bytes).c_str(), notes.c_str());
  }
}

struct BenchFlags {
  std::vector<std::string> models, inputs, dims;
  std::vector<std::string> hardware = {"cpu"};
  std::vector<int64_t> batches = {1}, seqs = {128}, threads = {1};
  std::vector<std::string> scenarios = {"single-stream"};
  std::vector<std::string> precisions = {"fp32"};
  std::string db;
  bool db_given = false;
  bool min_time_given = false;
  double max_time = 0;  // 0: the configuration's bench.max_time_s
  double target_ci = 0.02;
  int min_samples = 30;
  int max_samples = 20000;
  double min_time = 1;
  uint64_t seed = 1;
  bool json = false;
  std::string memory_limit;  // empty: engine.memory_limit, else the default
};

int RunBench(const Context& ctx, const BenchFlags& f) {
  auto config = LoadConfig(ctx);
  if (!config.ok()) return Fail(config.status());
  if (Status s = CheckInputSpecs(f.inputs); !s.ok()) return Fail(s);

  bench::BenchOptions o;
  o.hardware.clear();
  for (const std::string& h : f.hardware) {
    if (h != "auto") {
      o.hardware.push_back(h);
      continue;
    }
    // auto: the platform the plan would choose (for any model: before they are loaded).
    auto choice = ResolveHardware(ctx, *config, h, nullptr, engine::Precision::kFp32);
    if (!choice.ok()) return Fail(choice.status());
    o.hardware.push_back(choice->platform);
  }
  o.batches = f.batches;
  o.seqs = f.seqs;
  o.threads = f.threads;
  o.scenarios = f.scenarios;
  o.precisions.clear();
  for (const std::string& name : f.precisions) {
    auto p = engine::ParsePrecision(name);
    if (!p.ok()) return Fail(p.status());
    o.precisions.push_back(*p);
  }
  o.max_time_s = f.max_time > 0 ? f.max_time : config->Number("bench.max_time_s");
  o.target_ci = f.target_ci;
  o.min_samples = f.min_samples;
  o.max_samples = f.max_samples;
  o.min_time_s = f.min_time;
  // Given, --min-time is a minimum ("at least"): only --max-time and --max-samples end sampling
  // sooner. Left out, a fast model may stop at 1000 samples instead of 1 s.
  if (f.min_time_given) o.spread_samples = 0;
  o.seed = f.seed;
  auto memory_limit = MemoryLimitSetting(f.memory_limit, *config);
  if (!memory_limit.ok()) return Fail(memory_limit.status());
  o.memory_limit = *memory_limit;
  // A browser EP among --hardware: a headless browser here, attached for the benchmark.
  auto local_browser = LocalBrowserFor(ctx, *config, o.hardware);
  if (!local_browser.ok()) return Fail(local_browser.status());
  if (*local_browser) o.registry = &(*local_browser)->registry;
  auto dims = ParseDimSpecs(f.dims);
  if (!dims.ok()) return Fail(dims.status());
  o.dims = std::move(dims).value();

  // Everything that can be wrong with the request is found before the database is touched.
  router::BenchRequest request;
  request.repo = ctx.repo_flag;
  request.model_refs = f.models;
  request.input_specs = f.inputs;
  request.options = std::move(o);
  request.command = ctx.command_line;
  auto plan = router::PlanBench(request, *config);
  if (!plan.ok()) return Fail(plan.status());

  auto db_path = DbPath(f.db, f.db_given, *config);
  if (!db_path.ok()) return Fail(db_path.status());
  auto db = OpenDb(*db_path, bench::ResultsDb::Mode::kCreate);
  if (!db.ok()) return Fail(db.status());
  const bool in_memory = *db_path == bench::ResultsDb::kInMemory;
  const std::string db_name = in_memory ? "memory (not kept)" : *db_path;

  ProgressBar bar = ProgressBar::WithDetail(!f.json);
  const int configurations = plan->configurations;
  router::BenchRunCallbacks cb;
  cb.stop = &g_stop;
  cb.on_begin = [&](const bench::RunRecord& run) {
    std::fprintf(stderr, "bench: run %lld into %s (Ctrl-C stops and keeps what was measured)\n",
                 static_cast<long long>(run.id), db_name.c_str());
  };
  cb.progress = [&](const bench::RunRecord& run, const bench::ResultRecord& r, double fraction) {
    std::string detail =
        std::to_string(r.stats.count) + " samples, p50 " + bench::FormatMs(r.stats.median) + " ms" +
        (r.stats.ci_valid ? ", ±" + bench::FormatMs(100 * r.stats.ci_rel) + "%" : "");
    std::string where =
        "[" + std::to_string(run.results.size() + 1) + "/" + std::to_string(configurations) + "] ";
    bar.Update(fraction, where + TerminalSafe(r.Label()), detail);
  };
  cb.on_result = [&](const bench::RunRecord& run) {
    bar.Clear();
    if (f.json) return;
    const bench::ResultRecord& r = run.results.back();
    std::fprintf(stderr, "  [%zu/%d] %s: p50 %s ms ±%s%%, %s%s\n", run.results.size(),
                 configurations, TerminalSafe(r.Label()).c_str(),
                 bench::FormatMs(r.stats.median).c_str(),
                 r.stats.ci_valid ? bench::FormatMs(100 * r.stats.ci_rel).c_str() : "n/a",
                 Plural(r.stats.count, "sample").c_str(),
                 r.interrupted ? " (interrupted)"
                 : r.converged ? ""
                               : " (time budget spent)");
  };
  g_stop = false;
  signal(SIGINT, OnInterrupt);
  auto run = router::RunBenchPlan(**db, *plan, cb);
  signal(SIGINT, SIG_DFL);
  bar.Finish();
  if (!run.ok()) return Fail(run.status());
  if (f.json) {
    std::printf("%s\n", bench::RenderReport({*run}, bench::ReportFormat::kJson).c_str());
  } else {
    PrintSummary(*run);
    std::printf("run %lld %s: %s in %s\n", static_cast<long long>(run->id), run->status.c_str(),
                Plural(run->results.size(), "result").c_str(), db_name.c_str());
  }
  // Not an error: Ctrl-C ended the run early and what was measured is kept; the shell's code
  // for a process stopped by SIGINT says so.
  return run->status == "interrupted" ? 130 : 0;
}

struct ReportFlags {
  std::string db, format, output;
  bool db_given = false;
  int64_t run = 0;  // 0: the latest
  int history = 4;
};

// The run asked for (the latest by default) and up to `history` runs before it, oldest first.
Result<std::vector<bench::RunRecord>> LoadRuns(bench::ResultsDb& db, int64_t run, int history) {
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> ids, db.RunIds());
  if (ids.empty()) {
    return Status::NotFound(db.db().path() + " holds no runs yet; run `ipfs-accelerate bench`");
  }
  auto it = run == 0 ? ids.end() - 1 : std::find(ids.begin(), ids.end(), run);
  if (it == ids.end()) return db.LoadRun(run).status();  // names the missing id
  std::vector<bench::RunRecord> runs;
  for (auto from = it - std::min<ptrdiff_t>(history, it - ids.begin()); from <= it; ++from) {
    IA_ASSIGN_OR_RETURN(bench::RunRecord r, db.LoadRun(*from));
    runs.push_back(std::move(r));
  }
  return runs;
}

int RunReport(const Context& ctx, const ReportFlags& f) {
  auto config = LoadConfig(ctx);
  if (!config.ok()) return Fail(config.status());
  std::string format = f.format;
  if (format.empty()) {
    format = f.output.ends_with(".html") || f.output.ends_with(".htm") ? "html"
             : f.output.ends_with(".json")                             ? "json"
                                                                       : "md";
  }
  auto parsed = bench::ParseReportFormat(format);
  if (!parsed.ok()) return Fail(parsed.status());
  auto db_path = DbPath(f.db, f.db_given, *config);
  if (!db_path.ok()) return Fail(db_path.status());
  auto db = OpenDb(*db_path, bench::ResultsDb::Mode::kMustExist);
  if (!db.ok()) return Fail(db.status());
  auto runs = LoadRuns(**db, f.run, f.history);
  if (!runs.ok()) return Fail(runs.status());
  std::string text = bench::RenderReport(*runs, *parsed);
  if (f.output.empty() || f.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (Status s = WriteFileAtomic(f.output, text); !s.ok()) return Fail(s);
  std::fprintf(stderr, "report: run %lld (%s of history) → %s\n",
               static_cast<long long>(runs->back().id), Plural(runs->size() - 1, "run").c_str(),
               f.output.c_str());
  return 0;
}

int RunRuns(const Context& ctx, const std::string& db_flag, bool db_given, bool json) {
  auto config = LoadConfig(ctx);
  if (!config.ok()) return Fail(config.status());
  auto db_path = DbPath(db_flag, db_given, *config);
  if (!db_path.ok()) return Fail(db_path.status());
  auto db = OpenDb(*db_path, bench::ResultsDb::Mode::kMustExist);
  if (!db.ok()) return Fail(db.status());
  auto runs = (*db)->ListRuns();
  if (!runs.ok()) return Fail(runs.status());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *runs) {
      out.push_back({{"id", s.run.id},
                     {"started_at", s.run.started_at},
                     {"finished_at", s.run.finished_at},
                     {"status", s.run.status},
                     {"git_commit", s.run.git_commit},
                     {"host", s.run.host},
                     {"hardware_fingerprint", s.run.hardware_fingerprint},
                     {"command", s.run.command},
                     {"results", s.results}});
    }
    std::printf("%s\n", DumpJson(out, 2).c_str());
    return 0;
  }
  std::printf("%5s  %-20s  %-11s  %7s  %-18s  %s\n", "run", "started", "status", "results",
              "commit", "command");
  for (const auto& s : *runs) {
    // The command line and the commit come from the database: anything may be in them.
    std::printf("%5lld  %-20s  %-11s  %7lld  %-18s  %s\n", static_cast<long long>(s.run.id),
                Cell(s.run.started_at, 20).c_str(), Cell(s.run.status, 11).c_str(),
                static_cast<long long>(s.results), Cell(s.run.git_commit, 18).c_str(),
                TerminalSafe(s.run.command).c_str());
  }
  return 0;
}

struct CompareFlags {
  std::string db;
  bool db_given = false;
  int64_t before = 0, after = 0;
  bench::CompareOptions options;
  bool json = false;
};

// Exit codes as diff(1): 0 no regression, 1 a significant regression, 2 trouble.
int RunCompare(const Context& ctx, const CompareFlags& f) {
  auto fail = [](const Status& s) {
    Fail(s);
    return 2;
  };
  auto config = LoadConfig(ctx);
  if (!config.ok()) return fail(config.status());
  auto db_path = DbPath(f.db, f.db_given, *config);
  if (!db_path.ok()) return fail(db_path.status());
  auto db = OpenDb(*db_path, bench::ResultsDb::Mode::kMustExist);
  if (!db.ok()) return fail(db.status());
  auto before = (*db)->LoadRun(f.before);
  if (!before.ok()) return fail(before.status());
  auto after = (*db)->LoadRun(f.after);
  if (!after.ok()) return fail(after.status());
  bench::RunComparison c = bench::CompareRuns(*before, *after, f.options);
  if (f.json) {
    std::printf("%s\n", DumpJson(bench::ComparisonToJson(c), 2).c_str());
  } else {
    std::fputs(bench::RenderComparisonText(c).c_str(), stdout);
  }
  return c.any_regression ? 1 : 0;
}

}  // namespace

void RegisterBenchCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<BenchFlags>();
  auto* bench = app.add_subcommand(
      "bench",
      "Measure models: every model × hardware × batch × seq × threads × scenario, sampled until "
      "the median's 95% confidence interval is within ±2% (or --max-time), stored in DuckDB");
  bench->add_option("models", f->models, "Model files, directories or CIDs/aliases in the store")
      ->required();
  bench
      ->add_option("--hardware", f->hardware,
                   "Platforms, comma-separated (default cpu; webgpu, webnn or the browser's wasm: "
                   "a local headless browser runs the stored model; auto: the available platform "
                   "with a backend the planner puts first)")
      ->delimiter(',');
  bench->add_option("--batch", f->batches, "Batch sizes, comma-separated (default 1)")
      ->delimiter(',');
  bench->add_option("--seq", f->seqs, "Sequence lengths for models that have one (default 128)")
      ->delimiter(',');
  bench
      ->add_option("--threads", f->threads,
                   "Thread counts, comma-separated (default 1; 0: one per core, as for run)")
      ->delimiter(',');
  bench
      ->add_option("--precision", f->precisions,
                   "Precisions, comma-separated: fp32, bf16, int8 (as run --precision); each "
                   "other than fp32 is also compared with fp32 on the same inputs (cosine, top-1)")
      ->delimiter(',')
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
  bench
      ->add_option("--scenario", f->scenarios,
                   "single-stream (latency, one query at a time) and/or offline (throughput, "
                   "queries back to back), comma-separated")
      ->delimiter(',');
  auto* bench_db = bench->add_option(
      "--db", f->db,
      "Results database file (default: bench.db in the configuration, else REPO/results.duckdb; "
      ":memory: keeps nothing)");
  bench
      ->add_option("--max-time", f->max_time,
                   "Seconds of sampling per configuration at most, once --min-samples are taken "
                   "(default bench.max_time_s, 10)")
      ->check(CLI::PositiveNumber);
  bench
      ->add_option("--target-ci", f->target_ci,
                   "Stop once the median's 95% interval is within ±this fraction (default 0.02)")
      ->check(CLI::Range(0.0001, 1.0));
  auto* min_time =
      bench
          ->add_option(
              "--min-time", f->min_time,
              "Seconds of sampling at least; only --max-time and --max-samples stop sooner "
              "(default: 1 s, or 1000 samples when that comes first)")
          ->check(CLI::NonNegativeNumber);
  bench
      ->add_option("--min-samples", f->min_samples,
                   "Timed runs at least, even past --max-time (default 30)")
      ->check(CLI::Range(6, 1000000));
  bench->add_option("--max-samples", f->max_samples, "Timed runs at most (default 20000)")
      ->check(CLI::Range(6, 10000000));
  bench->add_option("-i,--input", f->inputs,
                    "NAME=FILE (.npy or .pb) for an input instead of synthesized data");
  bench->add_option("--dim", f->dims, "NAME=N: the size of a named dynamic dimension");
  bench->add_option("--seed", f->seed, "Seed of the synthesized inputs (default 1)");
  bench->add_option("--memory-limit", f->memory_limit,
                    "Memory budget of each model's runs: bytes or 512MiB, 4GiB (default: the "
                    "engine.memory_limit setting, else 80% of the available memory)");
  bench->add_flag("--json", f->json, "Print the run as JSON instead of the summary table");
  bench->callback([&ctx, f, bench_db, min_time] {
    f->db_given = bench_db->count() > 0;
    f->min_time_given = min_time->count() > 0;
    ctx.run = [&ctx, f] { return RunBench(ctx, *f); };
  });

  auto r = std::make_shared<ReportFlags>();
  auto* report = app.add_subcommand(
      "report",
      "Render a benchmark run: a self-contained HTML page with SVG charts (latency distribution, "
      "throughput against batch size, run-to-run comparison), or the same data as Markdown/JSON");
  auto* report_db = report->add_option("--db", r->db, "Results database (default as for bench)");
  report->add_option("--run", r->run, "Run id (default: the latest)")->check(CLI::PositiveNumber);
  report
      ->add_option("--format", r->format,
                   "html, md or json (default: from -o's extension, else md)")
      ->check(CLI::IsMember({"html", "md", "json"}));
  report->add_option("-o,--output", r->output, "Write to FILE (atomically) instead of stdout");
  report
      ->add_option("--history", r->history, "Earlier runs to include in the comparison (default 4)")
      ->check(CLI::Range(0, 1000));
  report->callback([&ctx, r, report_db] {
    r->db_given = report_db->count() > 0;
    ctx.run = [&ctx, r] { return RunReport(ctx, *r); };
  });

  auto runs_db = std::make_shared<std::string>();
  auto runs_json = std::make_shared<bool>(false);
  auto* runs = app.add_subcommand("runs", "List the benchmark runs in the results database");
  auto* runs_db_option =
      runs->add_option("--db", *runs_db, "Results database (default as for bench)");
  runs->add_flag("--json", *runs_json, "Print the runs as JSON");
  runs->callback([&ctx, runs_db, runs_json, runs_db_option] {
    const bool given = runs_db_option->count() > 0;
    ctx.run = [&ctx, runs_db, runs_json, given] {
      return RunRuns(ctx, *runs_db, given, *runs_json);
    };
  });

  auto c = std::make_shared<CompareFlags>();
  auto* compare = app.add_subcommand(
      "compare",
      "Compare two benchmark runs configuration by configuration; exits 1 when a configuration "
      "got significantly slower (Mann–Whitney U, Holm-corrected), 2 on errors, 0 otherwise");
  compare->add_option("run_a", c->before, "The earlier (baseline) run id")->required();
  compare->add_option("run_b", c->after, "The later run id")->required();
  auto* compare_db = compare->add_option("--db", c->db, "Results database (default as for bench)");
  compare->add_option("--alpha", c->options.alpha, "Family-wise significance level (default 0.01)")
      ->check(CLI::Range(1e-9, 0.5));
  compare
      ->add_option("--min-change", c->options.min_change,
                   "Median changes smaller than this fraction are never flagged (default 0.03)")
      ->check(CLI::Range(0.0, 10.0));
  compare->add_flag("--json", c->json, "Print the comparison as JSON");
  compare->callback([&ctx, c, compare_db] {
    c->db_given = compare_db->count() > 0;
    ctx.run = [&ctx, c] { return RunCompare(ctx, *c); };
  });
}

}  // namespace ipfs_accelerate::cli
