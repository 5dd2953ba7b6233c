// Layered configuration: built-in defaults < ~/.ipfs_accelerate/config.json <
// ./ipfs_accelerate.json < IPFS_ACCELERATE_* environment variables < --set KEY=VALUE. Keys are
// dotted ("priorities.cuda") and come from a fixed table with types and defaults; anything else is
// an error that names where it was written.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate {

// Where the layers come from; LoadFromProcess fills it from the running process.
struct ConfigSources {
  std::string home_dir;  // holds .ipfs_accelerate/config.json; empty: no user layer
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
  // Load() with $HOME, the current directory and the process environment.
  static Result<Config> LoadFromProcess(std::vector<std::string> overrides);

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

  // bench.db resolved: the configured path, else <home>/.ipfs_accelerate/results.duckdb.
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
  std::string home_dir_;
};

}  // namespace ipfs_accelerate
