// loadgen: drives a KServe v2 server (ours or another) and records the run in the benchmark
// database, so that `report` and `compare` read it as they read `bench` runs.
#include <chrono>
#include <cstdio>
#include <ctime>

#include "bench/report_common.h"
#include "bench/results_db.h"
#include "bench/statistics.h"
#include "cli/cli.h"
#include "core/build_info.h"
#include "core/cancel.h"
#include "core/file_util.h"
#include "core/json_util.h"
#include "core/parse_number.h"
#include "core/process_identity.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "models/tensor_file.h"
#include "router/bench_run.h"
#include "router/kserve.h"
#include "server/loadgen.h"

namespace ipfs_accelerate::cli {
namespace {

struct LoadgenFlags {
  std::string url, model, api_key_file, db;
  bool db_given = false, rate_given = false;
  int concurrency = 1;
  double rate = 0;
  double duration = 10;
  bool binary = false, json = false;
  std::vector<std::string> inputs, dims;
  uint64_t seed = 1;
};

Result<server::DynamicDims> ParseDims(const std::vector<std::string>& specs) {
  server::DynamicDims d;
  for (const std::string& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--dim wants NAME=N (NAME: batch, seq or INPUT.AXIS), got \"" +
                                     spec + "\"");
    }
    std::string name = spec.substr(0, eq);
    IA_ASSIGN_OR_RETURN(int64_t v, ParseInt(spec.substr(eq + 1), "--dim " + name, 1, 1'000'000));
    if (name == "batch") {
      d.batch = v;
    } else if (name == "seq") {
      d.seq = v;
    } else {
      d.exact[name] = v;
    }
  }
  return d;
}

Result<std::string> ReadKey(const std::string& path) {
  if (path.empty()) return std::string();
  IA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  size_t b = text.find_first_not_of(" \t\r\n"), e = text.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return Status::InvalidArgument("--api-key-file " + path + " is empty; it holds one key");
  }
  return text.substr(b, e - b + 1);
}

void PrintText(const nlohmann::json& s, const server::LoadgenResult& r) {
  std::printf("requests   %llu sent, %llu ok, %llu errors",
              static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.ok),
              static_cast<unsigned long long>(r.error_count()));
  if (r.error_count()) {
    std::string by;
    for (const auto& [status, count] : r.errors) {
      by += (by.empty() ? "" : ", ") +
            (status == 0 ? "no answer" : "HTTP " + std::to_string(status)) + ": " +
            std::to_string(count);
    }
    std::printf(" (%s)", by.c_str());
  }
  std::printf("\n");
  if (r.dropped || r.unfinished) {
    std::printf("dropped    %llu (more than the outstanding bound), %llu unfinished at the end\n",
                static_cast<unsigned long long>(r.dropped),
                static_cast<unsigned long long>(r.unfinished));
  }
  std::printf("throughput %.1f req/s, %.1f items/s over %.2f s%s\n",
              s["throughput"]["requests_per_s"].get<double>(),
              s["throughput"]["items_per_s"].get<double>(), r.wall_s,
              r.interrupted ? " (interrupted)" : "");
  const auto& l = s["latency_ms"];
  std::printf("latency    p50 %s ms, p90 %s ms, p99 %s ms, max %s ms\n",
              bench::FormatMs(l["p50"]).c_str(), bench::FormatMs(l["p90"]).c_str(),
              bench::FormatMs(l["p99"]).c_str(), bench::FormatMs(l["max"]).c_str());
}

int RunLoadgenCommand(const Context& ctx, const LoadgenFlags& f) {
  auto config = LoadConfig(ctx);
  if (!config.ok()) return Fail(config.status());
  if (Status s = CheckInputSpecs(f.inputs); !s.ok()) return Fail(s);
  auto url = server::ParseHttpUrl(f.url);
  if (!url.ok()) return Fail(url.status());
  auto dims = ParseDims(f.dims);
  if (!dims.ok()) return Fail(dims.status());
  auto key = ReadKey(f.api_key_file);
  if (!key.ok()) return Fail(key.status().WithContext("--api-key-file"));
  auto given = models::LoadInputSpecs(f.inputs);
  if (!given.ok()) return Fail(given.status());
  // The results database is resolved before any load is sent.
  std::string db_path = f.db_given ? f.db : config->BenchDbPath();
  if (db_path.empty()) {
    return Fail(Status::InvalidArgument(
        f.db_given ? "--db is empty; give the results database file (or :memory:)"
                   : "no results database: pass --db FILE"));
  }

  auto model = server::FetchModelMetadata(*url, f.model, *key);
  if (!model.ok()) return Fail(model.status());
  std::vector<std::string> synthesized;
  auto inputs = server::MakeLoadgenInputs(*model, *dims, *given, f.seed, &synthesized);
  if (!inputs.ok()) return Fail(inputs.status());
  for (const std::string& name : synthesized) {
    for (const auto& [n, t] : *inputs) {
      if (n != name) continue;
      std::string shape;
      for (int64_t d : t.shape()) shape += (shape.empty() ? "" : "x") + std::to_string(d);
      std::fprintf(stderr, "loadgen: input %s synthesized: %s %s\n", TerminalSafe(name).c_str(),
                   DTypeName(t.dtype()).c_str(), shape.empty() ? "scalar" : shape.c_str());
    }
  }
  auto body = router::EncodeInferRequest(
      {.inputs = *inputs, .binary_inputs = f.binary, .binary_outputs = f.binary});
  if (!body.ok()) return Fail(body.status());
  const int64_t items = server::ItemsPerRequest(*inputs);
  // One request first: a model that refuses it fails here, with the server's reason.
  if (Status s = server::TryInferRequest(*url, f.model, *key, *body); !s.ok()) return Fail(s);

  auto db = bench::ResultsDb::Open(db_path, bench::ResultsDb::Mode::kCreate);
  if (!db.ok()) return Fail(db.status());
  bench::RunRecord run = router::NewRunRecord(ctx.command_line);
  if (Status s = (*db)->BeginRun(run); !s.ok()) return Fail(s);
  const bool open_loop = f.rate_given;
  std::fprintf(stderr,
               "loadgen: run %lld, %s for %.0f s against %s (Ctrl-C stops and keeps what "
               "was measured)\n",
               static_cast<long long>(run.id),
               open_loop ? ("Poisson arrivals at " + bench::FormatMs(f.rate) + "/s").c_str()
                         : (std::to_string(f.concurrency) + " connections").c_str(),
               f.duration, TerminalSafe(url->HostPort()).c_str());

  server::LoadgenOptions o;
  o.url = *url;
  o.model = f.model;
  o.concurrency = f.concurrency;
  o.rate = open_loop ? f.rate : 0;
  o.duration_s = f.duration;
  o.api_key = *key;
  o.seed = f.seed;
  CancelToken cancel;
  ProgressBar bar = ProgressBar::WithDetail(!f.json);
  Result<server::LoadgenResult> result = [&] {
    ScopedSignalCancel on_signal(&cancel);
    return server::RunLoadgen(o, *body, &cancel, [&](double elapsed, uint64_t ok, uint64_t errors) {
      bar.Update(std::min(1.0, elapsed / f.duration), "loadgen",
                 std::to_string(ok) + " ok, " + std::to_string(errors) + " errors");
    });
  }();
  bar.Finish();
  if (!result.ok()) {
    (void)(*db)->FinishRun(run.id, "failed", router::UtcNow());
    return Fail(result.status());
  }

  bench::ResultRecord r;
  r.model_name = model->name.empty() ? f.model : model->name;
  r.model_cid = model->cid;
  // The server is the hardware; an open loop's offered rate is part of what was measured.
  r.hardware = "server:" + url->HostPort() +
               (open_loop ? " rate " + bench::FormatMs(f.rate) + "/s" : "") +
               (f.binary ? " binary" : "");
  r.scenario = bench::ToString(bench::Scenario::kServer);
  r.batch = items;
  r.threads = open_loop ? o.open_connections : f.concurrency;
  r.warmup_runs = 1;
  r.samples_ms = result->latencies_ms;
  r.stats = bench::Summarize(r.samples_ms);
  r.outlier = bench::FlagOutliers(r.samples_ms);
  r.throughput = result->wall_s > 0 ? static_cast<double>(result->ok) * items / result->wall_s : 0;
  r.converged = r.stats.ci_valid && r.stats.ci_rel <= 0.02;
  r.interrupted = result->interrupted;
  Status add = r.samples_ms.empty() ? Status::Ok() : (*db)->AddResult(run.id, r);
  std::string status = result->interrupted ? "interrupted" : "complete";
  Status finish = (*db)->FinishRun(run.id, add.ok() ? status : "failed", router::UtcNow());
  if (!add.ok()) return Fail(add);
  if (!finish.ok()) return Fail(finish);

  nlohmann::json summary = server::LoadgenSummaryJson(*result, items);
  if (f.json) {
    summary["run"] = run.id;
    summary["model"] = r.model_name;
    summary["url"] = f.url;
    summary["mode"] = open_loop ? "open" : "closed";
    std::printf("%s\n", DumpJson(summary, 2).c_str());
  } else {
    PrintText(summary, *result);
    std::printf("run %lld %s in %s\n", static_cast<long long>(run.id), status.c_str(),
                db_path == bench::ResultsDb::kInMemory ? "memory (not kept)" : db_path.c_str());
  }
  return result->interrupted
             ? 128 + (ScopedSignalCancel::received() ? ScopedSignalCancel::received() : 2)
             : 0;
}

}  // namespace

void RegisterLoadgenCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<LoadgenFlags>();
  auto* cmd = app.add_subcommand(
      "loadgen",
      "Send inference requests to a KServe v2 server (ipfs-accelerate serve, Triton, KServe) and "
      "measure latency and throughput: closed loop (--concurrency N connections) or open loop "
      "(--rate QPS, Poisson arrivals, latency from the scheduled arrival as MLPerf's Server "
      "scenario). The run goes into the benchmark database (scenario \"server\") for report and "
      "compare");
  cmd->add_option("url", f->url,
                  "The server: http://HOST:PORT[/prefix] (https is not supported yet)")
      ->required();
  cmd->add_option("--model", f->model, "The model's name on the server")->required();
  auto* concurrency =
      cmd->add_option("--concurrency", f->concurrency,
                      "Closed loop: connections, each sending its next request when the last is "
                      "answered (default 1)")
          ->check(CLI::Range(1, 1024));
  auto* rate = cmd->add_option("--rate", f->rate,
                               "Open loop: requests per second, Poisson arrivals (seeded), sent "
                               "over up to 64 connections; at most 1024 outstanding, more are "
                               "counted as dropped")
                   ->check(CLI::Range(0.001, 1e6));
  rate->excludes(concurrency);
  cmd->add_option("--duration", f->duration, "Seconds of load (default 10, at most 3600)")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_flag("--binary", f->binary,
                "Send tensors with the binary data extension and ask binary outputs");
  cmd->add_option("-i,--input", f->inputs,
                  "NAME=FILE (.npy or .pb) for an input instead of synthesized data");
  cmd->add_option("--dim", f->dims,
                  "NAME=N: size of dynamic (-1) dimensions: batch (axis 0, default 1), seq (other "
                  "axes, default 128) or INPUT.AXIS for one");
  cmd->add_option("--api-key-file", f->api_key_file,
                  "File holding the API key, sent as Authorization: Bearer KEY");
  auto* db = cmd->add_option("--db", f->db, "Results database (default as for bench)");
  cmd->add_option("--seed", f->seed, "Seed of synthesized inputs and arrivals (default 1)");
  cmd->add_flag("--json", f->json, "Print the summary as JSON");
  cmd->callback([&ctx, f, db, rate] {
    f->db_given = db->count() > 0;
    f->rate_given = rate->count() > 0;
    ctx.run = [&ctx, f] { return RunLoadgenCommand(ctx, *f); };
  });
}

}  // namespace ipfs_accelerate::cli
