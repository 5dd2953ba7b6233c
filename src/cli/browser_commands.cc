// The browser from the command line: a local headless worker for `run` (--backends wasm,
// --hardware webgpu), and `browser-bench`, the bridge's cost (a model through our backend vs the
// same onnxruntime-web session timed inside the page) and the transfer of a model into the page
// with and without its blocks' verification.
#include <algorithm>
#include <cstdio>

#include "bench/statistics.h"
#include "browser/backend.h"
#include "browser/launcher.h"
#include "browser/routes.h"
#include "cli/cli.h"
#include "core/json_util.h"
#include "engine/session.h"
#include "router/model_ref.h"
#include "store/repo.h"

namespace ipfs_accelerate::cli {

Result<std::unique_ptr<LocalBrowserBackends>> LocalBrowserFor(
    const Context& ctx, const Config& config, const std::vector<std::string>& backends) {
  const auto& eps = browser::WebExecutionProviders();
  bool wanted = std::any_of(backends.begin(), backends.end(), [&](const std::string& b) {
    return std::find(eps.begin(), eps.end(), b) != eps.end();
  });
  if (!wanted) return std::unique_ptr<LocalBrowserBackends>();
  std::string path = browser::FindBrowser(config.String("browser.path"));
  if (path.empty()) {
    return Status::NotFound(
        "the browser backends need a browser: install chromium, or set browser.path");
  }
  auto local = std::make_unique<LocalBrowserBackends>();
  IA_ASSIGN_OR_RETURN(local->worker,
                      browser::LocalWorker::Start(
                          {.browser_path = path,
                           .repo = store::Repo::DefaultPath(ctx.repo_flag),
                           .ort_dir = browser::OrtWebDir(config.String("browser.ort_dir")),
                           .hub = {.load_timeout_s = config.Number("browser.load_timeout_s"),
                                   .run_timeout_s = config.Number("browser.run_timeout_s"),
                                   .events = LogLevel::kDebug}}));
  local->registry = engine::BuiltinBackends();
  browser::AddBrowserBackends(local->registry, &local->worker->hub());
  return local;
}

namespace {

struct BrowserBenchFlags {
  std::string model;
  std::string ep = "wasm";
  int runs = 20;
  int fetch_runs = 5;
  std::vector<std::string> inputs, dims;
  bool json = false;
};

double Median(std::vector<double> v) { return bench::Summarize(v).median; }

int BrowserBench(const Context& ctx, const BrowserBenchFlags& f) {
  auto config = LoadConfig(ctx);
  if (!config.ok()) return Fail(config.status());
  auto model = router::LoadModelRef(ctx.repo_flag, f.model);
  if (!model.ok()) return Fail(model.status());
  if (model->source_cid.empty()) {
    return Fail(
        Status::InvalidArgument(f.model +
                                " is a local file; the page fetches models by CID: add it first "
                                "(ipfs-accelerate add FILE) and give its CID"));
  }
  const std::string cid = model->source_cid;
  auto feeds = RunFeeds(*model, f.inputs, f.dims, 1, f.json);
  if (!feeds.ok()) return Fail(feeds.status());
  auto local = LocalBrowserFor(ctx, *config, {f.ep});
  if (!local.ok()) return Fail(local.status());
  if (!*local) return Fail(Status::InvalidArgument("--ep wants webgpu, webnn or wasm"));
  browser::Hub& hub = (*local)->worker->hub();

  // Through our backend: an engine session whose first backend is the EP, as `serve` runs it.
  auto session = engine::Session::Create(std::move(model).value(),
                                         {.backends = {f.ep}, .registry = &(*local)->registry});
  if (!session.ok()) return Fail(session.status());
  std::vector<double> ours;
  for (int i = 0; i <= f.runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = (*session)->Run(*feeds);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!out.ok()) return Fail(out.status());
    if (i > 0) ours.push_back(ms);  // the first loads the model in the page
  }
  if ((*session)->fallback_runs() > 0) {
    return Fail(Status::Unavailable("the browser failed " +
                                    std::to_string((*session)->fallback_runs()) +
                                    " runs (see the log): nothing to compare"));
  }
  // The same session inside the page, same inputs.
  auto page = hub.BenchInPage(cid, f.ep, *feeds, f.runs);
  if (!page.ok()) return Fail(page.status());
  // The model's transfer into the page, with and without the SHA-256 of every block.
  std::vector<double> verified, unverified;
  double bytes = 0;
  for (int i = 0; i < f.fetch_runs; ++i) {
    for (bool verify : {true, false}) {
      auto fetched = hub.FetchInPage(cid, verify);
      if (!fetched.ok()) return Fail(fetched.status());
      (verify ? verified : unverified).push_back(fetched->value("ms", 0.0));
      bytes = fetched->value("bytes", 0.0);
    }
  }
  const double ours_ms = Median(ours), page_ms = Median(*page);
  nlohmann::json out = {{"model", f.model},
                        {"cid", cid},
                        {"ep", f.ep},
                        {"runs", f.runs},
                        {"through_backend_ms", ours_ms},
                        {"in_page_ms", page_ms},
                        {"bridge_ratio", ours_ms / page_ms},
                        {"bridge_overhead_ms", ours_ms - page_ms},
                        {"model_bytes", bytes},
                        {"fetch_verified_ms", Median(verified)},
                        {"fetch_unverified_ms", Median(unverified)},
                        {"verify_ratio", Median(verified) / Median(unverified)}};
  if (f.json) {
    std::printf("%s\n", DumpJson(out, 2).c_str());
    return 0;
  }
  std::printf("%s on %s, median of %d runs:\n", f.model.c_str(), f.ep.c_str(), f.runs);
  std::printf("  through the backend   %9.3f ms\n", ours_ms);
  std::printf("  inside the page alone %9.3f ms\n", page_ms);
  std::printf("  ratio %.3f (bridge %.3f ms per run)\n", ours_ms / page_ms, ours_ms - page_ms);
  std::printf("transfer of %.1f MB into the page, median of %d:\n", bytes / 1e6, f.fetch_runs);
  std::printf("  verified %9.1f ms, unverified %9.1f ms, ratio %.3f\n", Median(verified),
              Median(unverified), Median(verified) / Median(unverified));
  return 0;
}

}  // namespace

void RegisterBrowserCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<BrowserBenchFlags>();
  auto* cmd = app.add_subcommand(
      "browser-bench",
      "The browser backend's cost: a stored model through our backend (engine session -> "
      "WebSocket -> page) vs the same onnxruntime-web session timed inside the page, and the "
      "model's transfer into the page with and without block verification (a local headless "
      "browser)");
  cmd->add_option("model", f->model, "CID or alias of a stored model")->required();
  cmd->add_option("--ep", f->ep, "webgpu, webnn or wasm (default wasm)")
      ->check(CLI::IsMember({"webgpu", "webnn", "wasm"}));
  cmd->add_option("--runs", f->runs, "Timed runs each way (default 20)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--fetch-runs", f->fetch_runs, "Transfers each way (default 5)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("-i,--input", f->inputs, "NAME=FILE (.npy or .pb); others are synthesized");
  cmd->add_option("--dim", f->dims, "NAME=N: a named dynamic dimension of synthesized inputs");
  cmd->add_flag("--json", f->json, "Print the figures as JSON");
  cmd->callback([&ctx, f] { ctx.run = [&ctx, f] { return BrowserBench(ctx, *f); }; });
}

}  // namespace ipfs_accelerate::cli
