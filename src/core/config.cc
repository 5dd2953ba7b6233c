#include "core/config.h"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/file_util.h"
#include "core/json_util.h"
#include "core/parse_number.h"

extern char** environ;

namespace ipfs_accelerate {
namespace {

using Type = ConfigKey::Type;
using json = nlohmann::json;

const ConfigKey* FindKey(const std::string& name) {
  for (const ConfigKey& k : Config::Keys()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string KnownKeys() {
  std::string out;
  for (const ConfigKey& k : Config::Keys()) out += (out.empty() ? "" : ", ") + k.name;
  return out;
}

// The first key of the group `name` ("priorities.cuda" for "priorities"), or null.
const ConfigKey* FirstInGroup(const std::string& name) {
  for (const ConfigKey& k : Config::Keys()) {
    if (k.name.starts_with(name + ".")) return &k;
  }
  return nullptr;
}

std::string UnknownKey(const std::string& where, const std::string& name) {
  if (const ConfigKey* k = FirstInGroup(name)) {
    return where + ": \"" + name + "\" is a group of keys, not a value; write e.g. {\"" + name +
           "\": {\"" + k->name.substr(name.size() + 1) + "\": " + DumpJson(k->default_value) +
           "}}; known keys: " + KnownKeys();
  }
  return where + ": unknown configuration key \"" + name + "\"; known keys: " + KnownKeys();
}

std::string Expected(const ConfigKey& k) {
  char buf[96];
  switch (k.type) {
    case Type::kInt:
      std::snprintf(buf, sizeof buf, "an integer from %.0f to %.0f", k.min, k.max);
      return buf;
    case Type::kNumber:
      std::snprintf(buf, sizeof buf, "a number greater than %g", k.min);
      return buf;
    case Type::kString:
      return "a string";
  }
  return "?";
}

std::string TypeName(const ConfigKey& k) {
  switch (k.type) {
    case Type::kInt:
      return "integer";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
  }
  return "?";
}

// Checks a JSON value against the key's type and range; returns the stored form or why not.
Result<json> Check(const ConfigKey& k, const json& v, const std::string& where,
                   const std::string& shown) {
  bool ok = false;
  switch (k.type) {
    case Type::kInt:
      if (v.is_number_integer()) {
        // Unsigned values beyond int64 compare as huge; both ends are checked as doubles.
        double d = v.is_number_unsigned() ? static_cast<double>(v.get<uint64_t>())
                                          : static_cast<double>(v.get<int64_t>());
        ok = d >= k.min && d <= k.max;
      }
      break;
    case Type::kNumber:
      ok = v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > k.min;
      break;
    case Type::kString:
      ok = v.is_string();
      break;
  }
  if (!ok) {
    return Status::InvalidArgument(where + ": " + k.name + " must be " + Expected(k) + ", got " +
                                   shown);
  }
  return v;
}

void Flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, json>>& out) {
  for (const auto& [name, value] : j.items()) {
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (value.is_object() && !FindKey(key)) {
      Flatten(value, key, out);
    } else {
      out.emplace_back(key, value);
    }
  }
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

const std::vector<ConfigKey>& Config::Keys() {
  static const std::vector<ConfigKey> kKeys = [] {
    std::vector<ConfigKey> keys;
    const std::pair<const char*, int> priorities[] = {
        {"cuda", 100},  {"openvino", 90}, {"mps", 85},      {"rocm", 80},
        {"webgpu", 70}, {"webnn", 65},    {"qualcomm", 60}, {"cpu", 50}};
    for (const auto& [name, value] : priorities) {
      keys.push_back({std::string("priorities.") + name, Type::kInt, value,
                      std::string("priority of the ") + name + " platform (higher is tried first)",
                      0, 1000});
    }
    keys.push_back(
        {"browser.path", Type::kString, "", "browser for WebGPU/WebNN (empty: none configured)"});
    keys.push_back(
        {"bench.db", Type::kString, "", "benchmark results database (empty: REPO/results.duckdb)"});
    keys.push_back({"bench.max_time_s", Type::kNumber, 10,
                    "seconds of sampling per benchmark configuration at most (bench --max-time)", 0,
                    0});
    keys.push_back({"engine.memory_limit", Type::kString, "",
                    "memory budget of a model run: bytes or 512MiB, 4GiB (empty: 80% of the "
                    "available memory; run/bench --memory-limit)"});
    return keys;
  }();
  return kKeys;
}

std::string Config::EnvName(const std::string& key) {
  std::string out = "IPFS_ACCELERATE_";
  for (char c : key) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string Config::HelpText() {
  std::string out =
      "Configuration, in layers (a later layer wins):\n"
      "  1. built-in defaults\n"
      "  2. REPO/config.json                  JSON, nested: {\"priorities\": {\"cuda\": 10}}\n"
      "  3. ./ipfs_accelerate.json            the same format, for the current directory\n"
      "  4. environment variables             IPFS_ACCELERATE_<KEY>, e.g. "
      "IPFS_ACCELERATE_PRIORITIES_CUDA=10\n"
      "  5. --set KEY=VALUE                   e.g. --set priorities.cpu=60 (repeatable)\n"
      "REPO is the repository: --repo DIR, else $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate\n"
      "(an empty --repo or IPFS_ACCELERATE_PATH is an error). Nesting deeper than 64 levels is\n"
      "refused in every file.\n"
      "Keys:\n";
  for (const ConfigKey& k : Keys()) {
    char line[256];
    std::string type = TypeName(k);
    if (k.type == Type::kInt) {
      char range[48];
      std::snprintf(range, sizeof range, " %.0f..%.0f", k.min, k.max);
      type += range;
    } else if (k.type == Type::kNumber) {
      type += " > " + DumpJson(json(k.min));
    }
    std::snprintf(line, sizeof line, "  %-20s %-17s default %-6s %s\n", k.name.c_str(),
                  type.c_str(), DumpJson(k.default_value).c_str(), k.help.c_str());
    out += line;
  }
  return out;
}

Config Config::Defaults() {
  Config c;
  for (const ConfigKey& k : Keys()) c.values_[k.name] = {k.default_value, "default"};
  return c;
}

Status Config::ApplyFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return Status::Ok();  // layer absent
    return text.status().WithContext("configuration file");
  }
  IA_ASSIGN_OR_RETURN(json j, ParseJson(*text, path));
  if (!j.is_object()) {
    return Status::InvalidArgument(path + ": expected a JSON object such as {\"priorities\": " +
                                   "{\"cuda\": 10}}, got " + std::string(j.type_name()));
  }
  std::vector<std::pair<std::string, json>> entries;
  Flatten(j, "", entries);
  for (const auto& [name, value] : entries) {
    const ConfigKey* k = FindKey(name);
    if (!k) return Status::InvalidArgument(UnknownKey(path, name));
    IA_ASSIGN_OR_RETURN(json checked, Check(*k, value, path, DumpJson(value)));
    values_[name] = {std::move(checked), path};
  }
  return Status::Ok();
}

Status Config::ApplyText(const ConfigKey& k, const std::string& text, const std::string& source,
                         const std::string& where) {
  std::string shown = DumpJson(json(text));
  std::string t = Trim(text);
  json value;
  if (k.type == Type::kString) {
    value = text;
  } else {
    // Parsed whole (no trailing text, no hex, finite); the range is checked below.
    auto bad = [&] {
      return Status::InvalidArgument(where + ": " + k.name + " must be " + Expected(k) + ", got " +
                                     shown);
    };
    if (k.type == Type::kInt) {
      auto v = ParseInt(t, where);
      if (!v.ok()) return bad();
      value = *v;
    } else {
      auto v = ParseNumber(t, where);
      if (!v.ok()) return bad();
      value = *v;
    }
  }
  IA_ASSIGN_OR_RETURN(json checked, Check(k, value, where, shown));
  values_[k.name] = {std::move(checked), source};
  return Status::Ok();
}

Result<Config> Config::Load(const ConfigSources& sources) {
  Config c = Defaults();
  c.repo_dir_ = sources.repo_dir;
  if (!sources.repo_dir.empty()) {
    IA_RETURN_IF_ERROR(c.ApplyFile(sources.repo_dir + "/config.json"));
  }
  if (!sources.work_dir.empty()) {
    IA_RETURN_IF_ERROR(c.ApplyFile(sources.work_dir + "/ipfs_accelerate.json"));
  }
  // Other IPFS_ACCELERATE_* variables (IPFS_ACCELERATE_PATH, …) are not configuration keys.
  for (const ConfigKey& k : Keys()) {
    const std::string name = EnvName(k.name);
    for (const auto& [var, value] : sources.env) {
      if (var != name) continue;
      IA_RETURN_IF_ERROR(c.ApplyText(k, value, name, "environment variable " + name));
    }
  }
  for (const std::string& o : sources.overrides) {
    size_t eq = o.find('=');
    std::string where = "--set " + o;
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument(where + ": expected KEY=VALUE, e.g. --set priorities.cpu=60");
    }
    std::string name = Trim(o.substr(0, eq));
    const ConfigKey* k = FindKey(name);
    if (!k) return Status::InvalidArgument(UnknownKey(where, name));
    IA_RETURN_IF_ERROR(c.ApplyText(*k, o.substr(eq + 1), "--set", where));
  }
  return c;
}

Result<Config> Config::LoadFromProcess(const std::string& repo_dir,
                                       std::vector<std::string> overrides) {
  ConfigSources s;
  s.repo_dir = repo_dir;
  // Without a current directory (it was removed), there is no project layer.
  std::string cwd(4096, '\0');
  if (getcwd(cwd.data(), cwd.size())) s.work_dir = cwd.c_str();
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    if (!entry.starts_with("IPFS_ACCELERATE_")) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    s.env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  s.overrides = std::move(overrides);
  return Load(s);
}

const Config::Entry& Config::Get(const std::string& key, ConfigKey::Type type) const {
  const ConfigKey* k = FindKey(key);
  auto it = values_.find(key);
  if (!k || it == values_.end() ||
      (k->type != type && !(type == Type::kNumber && k->type == Type::kInt))) {
    std::fprintf(stderr, "internal error: configuration key \"%s\" read with the wrong type\n",
                 key.c_str());
    std::abort();
  }
  return it->second;
}

int64_t Config::Int(const std::string& key) const {
  return Get(key, Type::kInt).value.get<int64_t>();
}

double Config::Number(const std::string& key) const {
  return Get(key, Type::kNumber).value.get<double>();
}

std::string Config::String(const std::string& key) const {
  return Get(key, Type::kString).value.get<std::string>();
}

std::string Config::SourceOf(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? "" : it->second.source;
}

nlohmann::json Config::ToJson() const {
  json out = json::object();
  for (const auto& [key, e] : values_) out[key] = {{"value", e.value}, {"source", e.source}};
  return out;
}

std::string Config::BenchDbPath() const {
  std::string db = String("bench.db");
  if (!db.empty() || repo_dir_.empty()) return db;
  return repo_dir_ + "/results.duckdb";
}

Result<std::string> ResolveRepoPath(const std::optional<std::string>& flag,
                                    const std::optional<std::string>& env_path,
                                    const std::string& home) {
  if (flag) {
    if (flag->empty()) {
      return Status::InvalidArgument(
          "--repo is empty; give the repository directory (an unset shell variable, as in "
          "--repo \"$DIR\", gives an empty value), or leave --repo out for the default");
    }
    return *flag;
  }
  if (env_path) {
    if (env_path->empty()) {
      return Status::InvalidArgument(
          "IPFS_ACCELERATE_PATH is set but empty; set it to the repository directory, or unset "
          "it for the default (~/.ipfs_accelerate)");
    }
    return *env_path;
  }
  if (home.empty()) {
    return Status::InvalidArgument(
        "cannot find the home directory for the default repository ~/.ipfs_accelerate ($HOME "
        "is not set); pass --repo DIR or set IPFS_ACCELERATE_PATH");
  }
  return home + "/.ipfs_accelerate";
}

Result<std::string> ResolveRepoPathFromProcess(const std::optional<std::string>& flag) {
  std::optional<std::string> env_path;
  if (const char* env = std::getenv("IPFS_ACCELERATE_PATH")) env_path = env;
  std::string home;
  if (const char* h = std::getenv("HOME"); h && *h) {
    home = h;
  } else if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) {
    home = pw->pw_dir;
  }
  return ResolveRepoPath(flag, env_path, home);
}

}  // namespace ipfs_accelerate
