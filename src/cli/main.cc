// ipfs-accelerate: the command-line entry point. Parsing only; every action lives in a room.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <set>

#include "cli/cli.h"
#include "core/build_info.h"
#include "core/cancel.h"
#include "core/json_util.h"
#include "core/parse_number.h"
#include "core/terminal_text.h"

namespace ipfs_accelerate::cli {

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n",
               TerminalSafe(status.ToString(), /*keep_newlines=*/true).c_str());
  if (status.code() == StatusCode::kCancelled) {
    int sig = ScopedSignalCancel::received();
    return 128 + (sig ? sig : SIGINT);  // as a shell reports a process ended by that signal
  }
  return 1;
}

Result<Config> LoadConfig(const Context& ctx) {
  return Config::LoadFromProcess(ctx.repo_flag, ctx.config_overrides);
}

Status CheckInputSpecs(const std::vector<std::string>& specs) {
  std::set<std::string> names;
  for (const std::string& spec : specs) {
    const std::string name = spec.substr(0, spec.find('='));
    if (!names.insert(name).second) {
      return Status::InvalidArgument("--input " + name + "=… is given twice; give each input once");
    }
  }
  return Status::Ok();
}

Result<std::map<std::string, int64_t>> ParseDimSpecs(const std::vector<std::string>& specs) {
  std::map<std::string, int64_t> dims;
  for (const std::string& d : specs) {
    auto eq = d.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--dim wants NAME=N with N > 0, got \"" + d + "\"");
    }
    IA_ASSIGN_OR_RETURN(dims[d.substr(0, eq)],
                        ParseInt(d.substr(eq + 1), "--dim " + d.substr(0, eq), 1, 1'000'000));
  }
  return dims;
}

namespace {

// `add` maps files; if one shrinks while it is read, the kernel sends SIGBUS. Say so plainly.
// Blocks already written are complete (they are renamed only once durable); nothing is pinned.
void OnSigbus(int) {
  static const char kMessage[] =
      "error: a file shrank while it was being read (SIGBUS); nothing was pinned. Run the command "
      "again "
      "once the file is stable.\n";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
  _exit(1);
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The command most like `typed`: a small edit distance, or the only command it begins.
std::optional<std::string> Suggest(const std::string& typed, const std::vector<std::string>& all) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, typed.size() / 3) + 1;
  for (const std::string& name : all) {
    size_t d = EditDistance(typed, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  if (best) return best;
  std::vector<std::string> prefixed;
  for (const std::string& name : all) {
    if (!typed.empty() && name.starts_with(typed)) prefixed.push_back(name);
  }
  if (prefixed.size() == 1) return prefixed[0];
  return std::nullopt;
}

// The first word of the command line that is not an option of the command itself (--repo DIR,
// --set KEY=VALUE): the subcommand's name and where it is; index 0 when there is none. `version`
// is set when --version comes first.
struct Leading {
  int index = 0;
  std::string command;
  bool version = false;
};

Leading ScanLeading(int argc, char** argv) {
  Leading out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repo" || a == "--set") {
      ++i;
      continue;
    }
    if (a == "--version") {
      out.version = true;
      return out;
    }
    if (a.starts_with("-")) continue;  // --help, --repo=DIR, --set=K=V, …
    out.index = i;
    out.command = a;
    return out;
  }
  return out;
}

std::string VersionLine() {
  return std::string("ipfs-accelerate version ") + Version() + " (commit " + GitCommit() + ")";
}

void RegisterVersionCommand(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("version", "Print the version and the git commit of this build");
  cmd->add_flag("--json", *json, "Print {\"version\", \"commit\"} as JSON");
  cmd->callback([&ctx, json] {
    ctx.needs_repo = false;
    ctx.run = [json] {
      if (*json) {
        std::printf(
            "%s\n",
            DumpJson(nlohmann::json{{"version", Version()}, {"commit", GitCommit()}}, 2).c_str());
      } else {
        std::printf("%s\n", VersionLine().c_str());
      }
      return 0;
    };
  });
}

}  // namespace
}  // namespace ipfs_accelerate::cli

int main(int argc, char** argv) {
  using namespace ipfs_accelerate;
  using namespace ipfs_accelerate::cli;
  signal(SIGBUS, OnSigbus);
  CLI::App app{
      "ipfs-accelerate: machine-learning inference whose models travel by content address.\n"
      "Models live in a content-addressed store compatible with IPFS."};
  app.name("ipfs-accelerate");
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  // Options of the command itself (--repo, --set) may also follow the subcommand.
  app.fallthrough();
  Context ctx;
  for (int i = 0; i < argc; ++i) ctx.command_line += (i ? " " : "") + std::string(argv[i]);
  CLI::Option* repo_option = app.add_option(
      "--repo", ctx.repo_flag,
      "Repository directory: blocks, pins, aliases, config.json and results.duckdb (default: "
      "$IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate; an empty value is an error)");
  app.add_option("--set", ctx.config_overrides,
                 "KEY=VALUE configuration setting (repeatable), over IPFS_ACCELERATE_* "
                 "variables, REPO/config.json and ./ipfs_accelerate.json; see `hw --help`");
  // Answered before parsing when it comes first (below), after it otherwise.
  bool version_flag = false;
  app.add_flag("--version", version_flag, "Print the version and the git commit (as `version`)");
  RegisterStoreCommands(app, ctx);
  RegisterEngineCommands(app, ctx);
  RegisterOcrCommands(app, ctx);
  RegisterWakeWordCommands(app, ctx);
  RegisterTaskCommands(app, ctx);
  RegisterHardwareCommands(app, ctx);
  RegisterBenchCommands(app, ctx);
  RegisterLoadgenCommands(app, ctx);
  RegisterServeCommands(app, ctx);
  RegisterRoutingCommands(app, ctx);
  RegisterTokenizeCommands(app, ctx);
  RegisterPerfCommands(app, ctx);
  RegisterBrowserCommands(app, ctx);
  RegisterVersionCommand(app, ctx);

  // Kubo's habits, before CLI11 (which would answer each with "A subcommand is required"):
  // `--version`, `help [COMMAND]`, and a mistyped command named with a suggestion.
  Leading leading = ScanLeading(argc, argv);
  if (leading.version) {
    std::printf("%s\n", VersionLine().c_str());
    return 0;
  }
  std::vector<std::string> commands = {"help"};
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
  }
  std::vector<char*> args(argv, argv + argc);
  std::string help_flag = "--help";
  if (leading.command.empty() && argc == 1) {  // bare `ipfs-accelerate`: the list, as Kubo prints
    std::printf("%s", app.help().c_str());
    return 0;
  }
  if (leading.command == "help") {
    // `help` → the command list; `help CMD` → `CMD --help`.
    args.erase(args.begin() + leading.index);
    if (leading.index >= static_cast<int>(args.size())) {
      std::printf("%s", app.help().c_str());
      return 0;
    }
    leading.command = args[leading.index];
    args.push_back(help_flag.data());
  }
  if (!leading.command.empty() &&
      std::find(commands.begin(), commands.end(), leading.command) == commands.end()) {
    std::optional<std::string> near = Suggest(leading.command, commands);
    std::string message = "unknown command '" + leading.command + "'; " +
                          (near ? "did you mean '" + *near + "'?"
                                : "run `ipfs-accelerate help` for the list of commands");
    return Fail(Status::InvalidArgument(message));
  }
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version_flag) {
    std::printf("%s\n", VersionLine().c_str());
    return 0;
  }
  if (ctx.run && ctx.needs_repo) {
    // Every command below reads the configuration or the store under REPO: resolve it once, and
    // refuse an empty --repo or IPFS_ACCELERATE_PATH instead of falling back to the home one.
    auto repo = ResolveRepoPathFromProcess(
        repo_option->count() ? std::optional<std::string>(ctx.repo_flag) : std::nullopt);
    if (!repo.ok()) return Fail(repo.status());
    ctx.repo_flag = *repo;
  }
  // Errors are values everywhere below; this is the last guard, so that a bug reads as a message
  // and an exit code rather than an abort.
  try {
    return ctx.run ? ctx.run() : 0;
  } catch (const std::exception& e) {
    return Fail(Status::Internal(std::string(e.what()) + " (please report this)"));
  }
}
