// Shared pieces of the ipfs-accelerate command: each room registers its subcommands here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/results_db.h"
#include "browser/local_worker.h"
#include "core/config.h"
#include "core/status.h"
#include "engine/backend_registry.h"
#include "engine/graph.h"
#include "engine/precision.h"
#include "router/planning.h"

namespace ipfs_accelerate::cli {

struct Context {
  // The repository REPO. Before the action runs, main resolves it (--repo, else
  // $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate; see ResolveRepoPath) and refuses empty values,
  // so actions always see the resolved, non-empty path here.
  std::string repo_flag;
  std::vector<std::string> config_overrides;  // --set KEY=VALUE, last layer of the configuration
  std::string command_line;                   // argv joined by spaces, for records of what ran
  std::function<int()> run;                   // the chosen subcommand's action, set by its callback
  bool needs_repo = true;                     // false for commands that never touch REPO (version)
};

// Prints "error: …" for people and returns the exit code for it: 1, or 128 + the signal for an
// operation stopped by SIGINT/SIGTERM (130/143, as shells report it). Every error of every
// command returns through here. The exit codes that do not are answers, not errors: `verify`'s
// 1 (a bad block was found and listed), `compare`'s 1 (a regression) and 2 (an error, printed by
// Fail), `bench`'s 130 (Ctrl-C ended the run; what was measured is kept), CLI11's own codes for
// usage errors and --help (app.exit), and SIGBUS's 1 (written from the signal handler, where
// only write(2) is safe).
int Fail(const Status& status);

// The configuration of this command: ./ipfs_accelerate.json, REPO/config.json, the
// IPFS_ACCELERATE_* variables and --set, later over earlier (see Config::Load).
Result<Config> LoadConfig(const Context& ctx);

// Adds --offline to `cmd`: a CID the repository lacks is then an error instead of a fetch.
void AddOfflineFlag(CLI::App* cmd, bool& offline);

// Adds --precision fp32|bf16|int8 to `cmd` (engine::SessionOptions::precision).
void AddPrecisionOption(CLI::App* cmd, std::string& precision);

// Adds --remote never|auto|PEER and --peer URL (repeatable) to `cmd` (router/remote.h).
void AddRemoteFlags(CLI::App* cmd, std::string& remote, std::vector<std::string>& peers);

// Before a command reads `ref` from the store: fetches the DAG of a CID the repository does not
// hold in full from the configured sources, unless `offline` (--offline) or ipfs.offline (see
// router::EnsureRefLocal). Shows a progress bar on stderr for a fetch over a second and says on
// stderr what it fetched, unless `quiet` (--json: nothing but the answer is printed).
Status FetchIfMissing(const Context& ctx, const Config& config, const std::string& ref,
                      bool offline, bool quiet);

// The --dim NAME=N specs as a map (N in 1..1000000); an error names the spec that is wrong.
Result<std::map<std::string, int64_t>> ParseDimSpecs(const std::vector<std::string>& specs);

// The results database: --db FILE when `given` (refusing an empty one), else the configured
// bench.db, else REPO/results.duckdb (Config::BenchDbPath).
Result<std::string> DbPath(const std::string& flag, bool given, const Config& config);

// Opens the results database at `path` and says on stderr which runs it found abandoned by a
// dead process (marked "failed").
Result<std::unique_ptr<bench::ResultsDb>> OpenDb(const std::string& path,
                                                 bench::ResultsDb::Mode mode);

// Adds --hardware PLATFORM|auto to `cmd` (default cpu; see router::ChooseHardware).
void AddHardwareOption(CLI::App* cmd, std::string& hardware);

// Resolves --hardware `hardware` for `model` (null: before any model is known, as in serve):
// "cpu" at once; another platform or "auto" through router::ChooseHardware, which logs the
// choice and every platform it passed over.
Result<router::HardwareChoice> ResolveHardware(const Context& ctx, const Config& config,
                                               const std::string& hardware,
                                               const engine::Model* model,
                                               engine::Precision precision);

// Feeds for `run`: the given --input files, and synthesized tensors (as `bench` makes them) for
// every other input, each named on stderr (unless `quiet`) so nobody mistakes them for real data.
Result<std::map<std::string, Tensor>> RunFeeds(const engine::Model& model,
                                               const std::vector<std::string>& specs,
                                               const std::vector<std::string>& dims, uint64_t seed,
                                               bool quiet);

// For a command that runs models itself (run): when `backends` names a browser EP (webgpu, webnn,
// wasm), a headless browser on this machine attached as a worker (browser/local_worker.h) and the
// registry with its backends; null when it names none.
struct LocalBrowserBackends {
  std::unique_ptr<browser::LocalWorker> worker;
  engine::BackendRegistry registry;
};
Result<std::unique_ptr<LocalBrowserBackends>> LocalBrowserFor(
    const Context& ctx, const Config& config, const std::vector<std::string>& backends);

// kInvalidArgument when two --input NAME=FILE specs name the same input.
Status CheckInputSpecs(const std::vector<std::string>& specs);

void RegisterStoreCommands(CLI::App& app, Context& ctx);
void RegisterEngineCommands(CLI::App& app, Context& ctx);
void RegisterOcrCommands(CLI::App& app, Context& ctx);
void RegisterWakeWordCommands(CLI::App& app, Context& ctx);
void RegisterTaskCommands(CLI::App& app, Context& ctx);
void RegisterHardwareCommands(CLI::App& app, Context& ctx);
void RegisterBenchCommands(CLI::App& app, Context& ctx);
void RegisterLoadgenCommands(CLI::App& app, Context& ctx);
void RegisterServeCommands(CLI::App& app, Context& ctx);
void RegisterRoutingCommands(CLI::App& app, Context& ctx);
void RegisterTokenizeCommands(CLI::App& app, Context& ctx);
void RegisterPerfCommands(CLI::App& app, Context& ctx);
void RegisterBrowserCommands(CLI::App& app, Context& ctx);

}  // namespace ipfs_accelerate::cli
