// Shared pieces of the ipfs-accelerate command: each room registers its subcommands here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::cli {

struct Context {
  std::string repo_flag;                      // --repo
  std::vector<std::string> config_overrides;  // --set KEY=VALUE, last layer of the configuration
  std::string command_line;                   // argv joined by spaces, for records of what ran
  std::function<int()> run;                   // the chosen subcommand's action, set by its callback
};

// Prints "error: …" for people and returns the exit code for it: 1, or 128 + the signal for an
// operation stopped by SIGINT/SIGTERM (130/143, as shells report it).
int Fail(const Status& status);

void RegisterStoreCommands(CLI::App& app, Context& ctx);
void RegisterEngineCommands(CLI::App& app, Context& ctx);
void RegisterOcrCommands(CLI::App& app, Context& ctx);
void RegisterHardwareCommands(CLI::App& app, Context& ctx);
void RegisterBenchCommands(CLI::App& app, Context& ctx);

}  // namespace ipfs_accelerate::cli
