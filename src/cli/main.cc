// ipfs-accelerate: the command-line entry point. Parsing only; every action lives in a room.
#include <cstdio>

#include "cli/cli.h"

namespace ipfs_accelerate::cli {

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace ipfs_accelerate::cli

int main(int argc, char** argv) {
  using namespace ipfs_accelerate::cli;
  CLI::App app{"ipfs-accelerate: machine-learning inference whose models travel by content address.\n"
               "Models live in a content-addressed store compatible with IPFS."};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  Context ctx;
  app.add_option("--repo", ctx.repo_flag,
                 "Repository directory (default: $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate)");
  RegisterStoreCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.run ? ctx.run() : 0;
}
