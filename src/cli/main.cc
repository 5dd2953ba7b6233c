// ipfs-accelerate: the command-line entry point. Parsing only; every action lives in a room.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "cli/cli.h"
#include "core/cancel.h"
#include "core/terminal_text.h"

namespace ipfs_accelerate::cli {

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", TerminalSafe(status.ToString(), /*keep_newlines=*/true).c_str());
  if (status.code() == StatusCode::kCancelled) {
    int sig = ScopedSignalCancel::received();
    return 128 + (sig ? sig : SIGINT);  // as a shell reports a process ended by that signal
  }
  return 1;
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

}  // namespace
}  // namespace ipfs_accelerate::cli

int main(int argc, char** argv) {
  using namespace ipfs_accelerate::cli;
  signal(SIGBUS, OnSigbus);
  CLI::App app{
      "ipfs-accelerate: machine-learning inference whose models travel by content address.\n"
      "Models live in a content-addressed store compatible with IPFS."};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  // Options of the command itself (--repo, --set) may also follow the subcommand.
  app.fallthrough();
  Context ctx;
  for (int i = 0; i < argc; ++i) ctx.command_line += (i ? " " : "") + std::string(argv[i]);
  app.add_option("--repo", ctx.repo_flag,
                 "Repository directory (default: $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate)");
  app.add_option(
      "--set", ctx.config_overrides,
      "KEY=VALUE configuration setting (repeatable), over ~/.ipfs_accelerate/config.json, "
      "./ipfs_accelerate.json and IPFS_ACCELERATE_* variables; see `hw --help`");
  RegisterStoreCommands(app, ctx);
  RegisterEngineCommands(app, ctx);
  RegisterOcrCommands(app, ctx);
  RegisterHardwareCommands(app, ctx);
  RegisterBenchCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // Errors are values everywhere below; this is the last guard, so that a bug reads as a message
  // and an exit code rather than an abort.
  try {
    return ctx.run ? ctx.run() : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal: %s (please report this)\n", e.what());
    return 1;
  }
}
