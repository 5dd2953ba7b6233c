// Layered configuration: built-in defaults < REPO/config.json (REPO: the repository, see
// ResolveRepoPath) < ./ipfs_accelerate.json < IPFS_ACCELERATE_* environment variables < --set
// KEY=VALUE. Keys are dotted ("priorities.cuda") and come from a fixed table with types and
// defaults; anything else is an error that names where it was written.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate {

// Where the layers come from; LoadFromProcess fills it from the running process.
struct ConfigSources {
  std::string repo_dir;  // the repository: holds config.json and results.duckdb; empty: neither
  std::string work_dir;  // holds ipfs_accelerate.json; empty: no project layer
  std::vector<std::pair<std::string, std::string>> env;  // NAME, VALUE
  std::vector<std::string> overrides;                    // "KEY=VALUE", from --set
};

// One known key: its name, type, allowed range, default and meaning.
struct ConfigKey {
  enum class Type { kInt, kNumber, kString };
  std::string name;  // "priorities.cuda"
  Type type;
  nlohmann::json default_value;
  std::string help;  // one line for `hw --help`
  double min = 0;    // kInt: the smallest value; kNumber: values must be greater
  double max = 0;    // kInt: the largest value; ignored for kNumber and kString
};

class Config {
 public:
  // Every known key, in a stable order.
  static const std::vector<ConfigKey>& Keys();
  // "IPFS_ACCELERATE_" + the key upper-cased with '.' -> '_'.
  static std::string EnvName(const std::string& key);
  // Text for --help: the layers in order and every key with its type, default and meaning.
  static std::string HelpText();

  // The built-in defaults only.
  static Config Defaults();
  // Applies the layers of `sources` in order; fails on the first bad file, variable or override.
  static Result<Config> Load(const ConfigSources& sources);
  // Load() with the repository `repo_dir` (from ResolveRepoPathFromProcess), the current
  // directory and the process environment.
  static Result<Config> LoadFromProcess(const std::string& repo_dir,
                                        std::vector<std::string> overrides);

  // The value of an integer key. `key` must be a known key of that type (anything else is a
  // programming error and aborts); the same holds for Number and String.
  int64_t Int(const std::string& key) const;
  // The value of a number key.
  double Number(const std::string& key) const;
  // The value of a string key.
  std::string String(const std::string& key) const;
  // Which layer set `key`: "default", a file path, "IPFS_ACCELERATE_X" or "--set".
  std::string SourceOf(const std::string& key) const;
  // Every key with its value and source: {"key": {"value": …, "source": …}}.
  nlohmann::json ToJson() const;

  // bench.db resolved: the configured path, else <repo_dir>/results.duckdb ("" when neither is
  // known).
  std::string BenchDbPath() const;

 private:
  struct Entry {
    nlohmann::json value;
    std::string source;
  };
  const Entry& Get(const std::string& key, ConfigKey::Type type) const;
  Status ApplyFile(const std::string& path);
  Status ApplyText(const ConfigKey& key, const std::string& text, const std::string& source,
                   const std::string& where);

  std::map<std::string, Entry> values_;
  std::string repo_dir_;
};

// The repository directory REPO: `flag` when --repo was given, else `env_path` (the value of
// IPFS_ACCELERATE_PATH) when that is set, else `home` + "/.ipfs_accelerate". Never silently the
// default: a given but empty --repo, an IPFS_ACCELERATE_PATH set to "" and an unknown home are
// kInvalidArgument naming the flag or variable.
Result<std::string> ResolveRepoPath(const std::optional<std::string>& flag,
                                    const std::optional<std::string>& env_path,
                                    const std::string& home);
// ResolveRepoPath with this process's IPFS_ACCELERATE_PATH and home directory ($HOME, else the
// password database).
Result<std::string> ResolveRepoPathFromProcess(const std::optional<std::string>& flag);

}  // namespace ipfs_accelerate
