// Layered configuration, as the seed project orders it: built-in defaults < ./ipfs_accelerate.json
// (the project) < REPO/config.json (the user's; REPO: the repository, see ResolveRepoPath) <
// IPFS_ACCELERATE_* environment variables < --set KEY=VALUE. Keys are dotted ("priorities.cuda")
// and come from a fixed table with types and defaults; anything else is an error that names where
// it was written. The seed's example config.json (hardware, ipfs, performance, logging) loads as
// written; keys whose part does not exist yet are typed and say "not used yet" in their help.
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
  std::string home;  // what a leading "~" in a path value stands for; empty: "~" is an error
};

// One known key: its name, type, allowed range, default and meaning.
struct ConfigKey {
  // kBool: JSON true/false; "true"/"false"/"1"/"0" in the environment and --set.
  // kBytes: a size, stored as bytes: a number is MiB (1000 = 1000 MiB); a string is a number with
  //   a unit as ParseByteSize reads it ("2GB", "512MiB"), a bare number in it again MiB; 0 or ""
  //   is 0 (the key's "automatic").
  // kPath: a string whose leading "~" (alone or before '/') is the home directory.
  // kList: strings; a JSON array of strings (or one string, a list of one) in files, items
  //   separated by commas in the environment and --set (blanks around items dropped; "" is the
  //   empty list). Stored as an array.
  enum class Type { kInt, kNumber, kString, kBool, kBytes, kPath, kList };
  std::string name;  // "priorities.cuda"
  Type type;
  nlohmann::json default_value;
  std::string help;  // one line for `hw --help`
  double min = 0;    // kInt: the smallest value; kNumber: values must be greater
  double max = 0;    // kInt: the largest value; ignored for kNumber and kString
  // kString: the allowed values, lower-case; matched regardless of case and stored lower-case.
  // Empty: any string.
  std::vector<std::string> choices;
};

// What `serve` reads from the configuration (each also a flag of `serve`).
struct ServerSettings {
  uint64_t cache_size = 0;    // performance.cache_size: the router's model memory budget; 0: auto
  int parallel_requests = 1;  // performance.parallel_requests: runs at once, at least 1
  bool enable_profiling = false;  // performance.enable_profiling
  std::string log_level;          // logging.level: debug, info, warning or error
  std::string log_file;           // logging.file: "" for stderr
  std::string listen;             // serve.listen: "HOST:PORT"
  std::string api_key_file;       // serve.api_key_file: "" for no key
  std::string admin_key_file;     // serve.admin_key_file
  std::string tls_cert;           // serve.tls_cert: "" for plain HTTP
  std::string tls_key;            // serve.tls_key
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
  // The value of a string or path key (a path with "~" already expanded).
  std::string String(const std::string& key) const;
  // The value of a boolean key.
  bool Bool(const std::string& key) const;
  // The value of a size key, in bytes.
  uint64_t Bytes(const std::string& key) const;
  // The value of a list key, in order.
  std::vector<std::string> List(const std::string& key) const;
  // Which layer set `key`: "default", a file path, "IPFS_ACCELERATE_X" or "--set".
  std::string SourceOf(const std::string& key) const;
  // Every key with its value and source: {"key": {"value": …, "source": …}}.
  nlohmann::json ToJson() const;

  // The keys `serve` reads, resolved.
  ServerSettings Server() const;

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
  std::string home_;
};

// The repository directory REPO: `flag` when --repo was given, else `env_path` (the value of
// IPFS_ACCELERATE_PATH) when that is set, else `home` + "/.ipfs_accelerate". Never silently the
// default: a given but empty --repo, an IPFS_ACCELERATE_PATH set to "" and an unknown home are
// kInvalidArgument naming the flag or variable.
Result<std::string> ResolveRepoPath(const std::optional<std::string>& flag,
                                    const std::optional<std::string>& env_path,
                                    const std::string& home);
// This process's home directory: $HOME, else the password database; "" when neither says.
std::string HomeDirFromProcess();

// ResolveRepoPath with this process's IPFS_ACCELERATE_PATH and home directory (HomeDirFromProcess).
Result<std::string> ResolveRepoPathFromProcess(const std::optional<std::string>& flag);

}  // namespace ipfs_accelerate
