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
#include "core/memory_budget.h"
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
      if (k.choices.empty()) return "a string";
      {
        std::string out = "one of ";
        for (size_t i = 0; i < k.choices.size(); ++i) out += (i ? ", " : "") + k.choices[i];
        return out;
      }
    case Type::kBool:
      return "true or false";
    case Type::kBytes:
      return "a size: a number of MiB (1000) or a string with a unit (\"2GB\", \"512MiB\")";
    case Type::kPath:
      return "a string";
    case Type::kList:
      return "a list of strings: a JSON array [\"a\", \"b\"] in files, \"a,b\" in variables and "
             "--set";
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
      if (k.choices.empty()) return "string";
      {
        std::string out;
        for (const std::string& c : k.choices) out += (out.empty() ? "" : "|") + c;
        return out;
      }
    case Type::kBool:
      return "boolean";
    case Type::kBytes:
      return "size";
    case Type::kPath:
      return "path";
    case Type::kList:
      return "list";
  }
  return "?";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// The items of a list value: blanks around each dropped, empty items left out.
json ListItems(const std::vector<std::string>& items) {
  json out = json::array();
  for (const std::string& item : items) {
    if (std::string t = Trim(item); !t.empty()) out.push_back(t);
  }
  return out;
}

constexpr double kMiB = 1024.0 * 1024.0;

// Bytes from a number of MiB; nullopt when negative, not finite or beyond 64 bits.
std::optional<uint64_t> MiBToBytes(double mib) {
  if (!std::isfinite(mib) || mib < 0) return std::nullopt;
  double bytes = std::floor(mib * kMiB);
  if (bytes >= 18446744073709551616.0) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

// A size written as text: "" and "0" are 0, a bare number is MiB, else ParseByteSize's forms.
Result<uint64_t> TextToBytes(const std::string& text, const std::string& what) {
  std::string t = Trim(text);
  if (t.empty()) return uint64_t{0};
  if (auto mib = ParseNumber(t, what); mib.ok()) {
    if (auto bytes = MiBToBytes(*mib)) return *bytes;
    return Status::InvalidArgument(what + ": \"" + t + "\" MiB is out of range");
  }
  return ParseByteSize(t, what);
}

// `value` with a leading "~" (alone or before '/') replaced by `home`.
Result<std::string> ExpandHome(const std::string& value, const std::string& home,
                               const std::string& where, const std::string& key) {
  if (value != "~" && !value.starts_with("~/")) return value;
  if (home.empty()) {
    return Status::InvalidArgument(where + ": " + key + " starts with ~, but the home directory " +
                                   "is unknown ($HOME is not set); write the full path");
  }
  return home + value.substr(1);
}

// Checks a JSON value against the key's type and range; returns the stored form or why not.
// `home` expands a leading "~" of path values.
Result<json> Check(const ConfigKey& k, const json& v, const std::string& where,
                   const std::string& shown, const std::string& home) {
  auto bad = [&] {
    return Status::InvalidArgument(where + ": " + k.name + " must be " + Expected(k) + ", got " +
                                   shown);
  };
  switch (k.type) {
    case Type::kInt:
      if (v.is_number_integer()) {
        // Unsigned values beyond int64 compare as huge; both ends are checked as doubles.
        double d = v.is_number_unsigned() ? static_cast<double>(v.get<uint64_t>())
                                          : static_cast<double>(v.get<int64_t>());
        if (d >= k.min && d <= k.max) return v;
      }
      return bad();
    case Type::kNumber:
      if (v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > k.min) return v;
      return bad();
    case Type::kString:
      if (!v.is_string()) return bad();
      if (k.choices.empty()) return v;
      for (const std::string& c : k.choices) {
        if (Lower(v.get<std::string>()) == c) return json(c);
      }
      return bad();
    case Type::kBool:
      if (v.is_boolean()) return v;
      return bad();
    case Type::kBytes:
      if (v.is_number()) {
        if (auto bytes = MiBToBytes(v.get<double>())) return json(*bytes);
        return bad();
      }
      if (v.is_string()) {
        if (auto bytes = TextToBytes(v.get<std::string>(), k.name); bytes.ok()) return json(*bytes);
      }
      return bad();
    case Type::kPath: {
      if (!v.is_string()) return bad();
      IA_ASSIGN_OR_RETURN(std::string path, ExpandHome(v.get<std::string>(), home, where, k.name));
      return json(path);
    }
    case Type::kList: {
      if (v.is_string()) return ListItems({v.get<std::string>()});  // the seed's one gateway
      if (!v.is_array()) return bad();
      std::vector<std::string> items;
      for (const json& item : v) {
        if (!item.is_string()) return bad();
        items.push_back(item.get<std::string>());
      }
      return ListItems(items);
    }
  }
  return bad();
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
    keys.push_back({"browser.path", Type::kPath, "",
                    "browser that hw probes and run/bench/serve --hardware webgpu|webnn|wasm "
                    "launch headless (empty: Debian's /usr/bin/chromium when installed)"});
    keys.push_back({"browser.gateway", Type::kString, "",
                    "trustless gateway browser workers fetch model blocks from (empty: the "
                    "serving node's own /ipfs/)"});
    keys.push_back({"browser.ort_dir", Type::kPath, "",
                    "onnxruntime-web's dist/ directory served to browser workers (empty: the one "
                    "scripts/setup installed)"});
    keys.push_back({"browser.load_timeout_s", Type::kNumber, 300,
                    "seconds a browser worker may take to fetch a model and create its session", 0,
                    0});
    keys.push_back({"browser.run_timeout_s", Type::kNumber, 60,
                    "seconds a browser worker may take to answer one run (then it is disconnected "
                    "and the CPU answers)",
                    0, 0});
    keys.push_back({"browser.launch", Type::kBool, false,
                    "serve starts a headless browser (browser.path) as a local worker"});
    keys.push_back(
        {"bench.db", Type::kPath, "", "benchmark results database (empty: REPO/results.duckdb)"});
    keys.push_back({"bench.max_time_s", Type::kNumber, 10,
                    "seconds of sampling per benchmark configuration at most (bench --max-time)", 0,
                    0});
    keys.push_back({"perf.profiles_file", Type::kPath, "",
                    "device profiles CSV (hw --profiles-file; empty: the datasheet profiles "
                    "built in)"});
    keys.push_back({"engine.memory_limit", Type::kString, "",
                    "memory budget of a model run: bytes or 512MiB, 4GiB (empty: 80% of the "
                    "available memory; run/bench --memory-limit)"});
    // The seed project's sections. Its hardware and ipfs parts are not built yet: their keys
    // load as written and are checked, so that a config.json made for the seed works here.
    const char* kNotYet = " (not used yet)";
    keys.push_back({"hardware.prefer_cuda", Type::kBool, true,
                    std::string("try CUDA before other accelerators") + kNotYet});
    keys.push_back({"hardware.allow_openvino", Type::kBool, true,
                    std::string("OpenVINO may be used") + kNotYet});
    keys.push_back(
        {"hardware.allow_mps", Type::kBool, true, std::string("Apple MPS may be used") + kNotYet});
    keys.push_back({"hardware.precision",
                    Type::kString,
                    "fp32",
                    std::string("numeric precision of model runs") + kNotYet,
                    0,
                    0,
                    {"fp32", "fp16", "bf16", "int8", "int4"}});
    keys.push_back(
        {"hardware.mixed_precision", Type::kBool, false, std::string("mixed precision") + kNotYet});
    keys.push_back({"hardware.max_memory", Type::kBytes, 0,
                    std::string("accelerator memory to use at most (0: all)") + kNotYet});
    // Where a CID the repository lacks is fetched from (fetch, and run/cat/get/serve on a miss).
    keys.push_back({"ipfs.gateway", Type::kList, json::array({"http://localhost:8080/ipfs/"}),
                    "trustless gateways asked for blocks not stored here, in order (a trailing "
                    "/ipfs/ is ignored; empty: none; fetch --from)"});
    keys.push_back({"ipfs.local_node", Type::kString, "http://localhost:5001",
                    "a local IPFS node's RPC API (Kubo), asked before the gateways (empty: none; "
                    "fetch --local-node)"});
    keys.push_back({"ipfs.routers", Type::kList, json::array(),
                    "delegated routing v1 URLs asked for providers of a CID (empty: none)"});
    keys.push_back({"ipfs.timeout", Type::kNumber, 30,
                    "seconds each block request to a remote source may take (fetch --timeout)", 0,
                    0});
    keys.push_back({"ipfs.retry_count", Type::kInt, 3,
                    "more tries of a block after a transient failure of its source", 0, 100});
    keys.push_back({"ipfs.offline", Type::kBool, false,
                    "never fetch: a CID the repository lacks is an error (run/cat/get/serve "
                    "--offline)"});
    // Remote inference: other nodes this one may send requests to (run/serve --remote).
    keys.push_back({"peers", Type::kList, json::array(),
                    "other nodes' URLs, http[s]://[KEY@]HOST:PORT (the key they want rides in the "
                    "URL's user part); run/serve --peer"});
    keys.push_back({"discovery.mdns", Type::kBool, false,
                    "announce `serve` on the local network and use the nodes found there as peers "
                    "(multicast DNS; serve --mdns)"});
    keys.push_back({"discovery.mdns_interfaces", Type::kList, json::array(),
                    "IPv4 addresses of the interfaces mDNS uses (empty: the one `serve` listens "
                    "on, or every multicast-capable one when it listens on 0.0.0.0)"});
    keys.push_back({"discovery.key", Type::kString, "",
                    "API key sent to the nodes found on the local network (a cluster's shared "
                    "key; a configured peer's own key wins for its URL)"});
    keys.push_back({"remote.mode", Type::kString, "never",
                    "where inference runs: never (here), auto (here or the peer expected to answer "
                    "soonest) or a peer's URL; run/serve --remote"});
    keys.push_back({"remote.ca_file", Type::kPath, "",
                    "PEM certificates https peers are verified against (empty: the system's; for a "
                    "private CA or a self-signed peer)"});
    keys.push_back({"remote.timeout", Type::kNumber, 30,
                    "seconds a request sent to a peer may take before the next choice is tried", 0,
                    0});
    keys.push_back({"performance.cache_size", Type::kBytes, 0,
                    "memory for loaded models in `serve` (the router's budget; 0: 80% of the "
                    "available memory)"});
    keys.push_back({"performance.parallel_requests", Type::kInt, 1,
                    "model runs `serve` does at once (they share the cores)", 1, 1024});
    keys.push_back({"performance.enable_prefetch", Type::kBool, false,
                    std::string("fetch models ahead of use") + kNotYet});
    keys.push_back({"performance.enable_profiling", Type::kBool, false,
                    "per-request timings in `serve`'s request log"});
    keys.push_back({"logging.level",
                    Type::kString,
                    "info",
                    "least severe log messages written (any case: INFO = info)",
                    0,
                    0,
                    {"debug", "info", "warning", "error"}});
    keys.push_back({"logging.file", Type::kPath, "", "log file, appended to (empty: stderr)"});
    keys.push_back({"serve.listen", Type::kString, "127.0.0.1:8000",
                    "HOST:PORT `serve` listens on (port 0: any free port; serve --listen)"});
    keys.push_back({"serve.api_key_file", Type::kPath, "",
                    "file holding the API key clients must send (empty: none; serve "
                    "--api-key-file)"});
    keys.push_back({"serve.gateway_auth",
                    Type::kString,
                    "auto",
                    "whether /ipfs/ and /routing/v1/ want the API key: auto (not from clients on "
                    "this machine, from all others), open or key",
                    0,
                    0,
                    {"auto", "open", "key"}});
    keys.push_back({"serve.admin_key_file", Type::kPath, "",
                    "file holding the key of admin routes (load/unload; serve --admin-key-file)"});
    keys.push_back({"serve.tls_cert", Type::kPath, "",
                    "TLS certificate, PEM (empty: plain HTTP; serve --tls-cert)"});
    keys.push_back({"serve.tls_key", Type::kPath, "", "TLS private key, PEM (serve --tls-key)"});
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
      "Configuration, in layers (a later layer wins, as in the seed project):\n"
      "  1. built-in defaults\n"
      "  2. ./ipfs_accelerate.json            the project's, for the current directory\n"
      "  3. REPO/config.json                  the user's; JSON, nested: "
      "{\"priorities\": {\"cuda\": 10}}\n"
      "  4. environment variables             IPFS_ACCELERATE_<KEY>, e.g. "
      "IPFS_ACCELERATE_PRIORITIES_CUDA=10\n"
      "  5. --set KEY=VALUE                   e.g. --set priorities.cpu=60 (repeatable)\n"
      "REPO is the repository: --repo DIR, else $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate\n"
      "(an empty --repo or IPFS_ACCELERATE_PATH is an error). Nesting deeper than 64 levels is\n"
      "refused in every file. Booleans: true/false in JSON; true, false, 1 or 0 in variables and\n"
      "--set. Sizes: a number is MiB (1000 = 1000 MiB); a string takes a unit: \"2GB\",\n"
      "\"512MiB\" (KiB/MiB/GiB powers of 1024, kB/MB/GB of 1000). Paths: a leading ~ is $HOME.\n"
      "Choices (level, precision) match in any case. Lists: a JSON array in files, "
      "comma-separated\n"
      "in variables and --set (ipfs.gateway=http://a:8080,http://b:8080). Unknown keys are\n"
      "errors.\n"
      "Keys:\n";
  for (const ConfigKey& k : Keys()) {
    std::string type = TypeName(k);
    if (k.type == Type::kInt) {
      char range[48];
      std::snprintf(range, sizeof range, " %.0f..%.0f", k.min, k.max);
      type += range;
    } else if (k.type == Type::kNumber) {
      type += " > " + DumpJson(json(k.min));
    }
    auto pad = [](std::string s, size_t width) {
      if (s.size() < width) s.resize(width, ' ');
      return s + " ";
    };
    out += "  " + pad(k.name, 29) + pad(type, 24) + "default " + pad(DumpJson(k.default_value), 6) +
           k.help + "\n";
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
    IA_ASSIGN_OR_RETURN(json checked, Check(*k, value, path, DumpJson(value), home_));
    values_[name] = {std::move(checked), path};
  }
  return Status::Ok();
}

Status Config::ApplyText(const ConfigKey& k, const std::string& text, const std::string& source,
                         const std::string& where) {
  std::string shown = DumpJson(json(text));
  std::string t = Trim(text);
  // Parsed whole (no trailing text, no hex, finite); the range is checked below.
  auto bad = [&] {
    return Status::InvalidArgument(where + ": " + k.name + " must be " + Expected(k) + ", got " +
                                   shown);
  };
  json value;
  switch (k.type) {
    case Type::kString:
    case Type::kPath:
    case Type::kBytes:  // Check reads the text as a size
      value = text;
      break;
    case Type::kBool: {
      std::string b = Lower(t);
      if (b == "true" || b == "1") {
        value = true;
      } else if (b == "false" || b == "0") {
        value = false;
      } else {
        return bad();
      }
      break;
    }
    case Type::kInt: {
      auto v = ParseInt(t, where);
      if (!v.ok()) return bad();
      value = *v;
      break;
    }
    case Type::kNumber: {
      auto v = ParseNumber(t, where);
      if (!v.ok()) return bad();
      value = *v;
      break;
    }
    case Type::kList: {
      std::vector<std::string> items;
      for (size_t begin = 0; begin <= text.size();) {
        size_t comma = std::min(text.find(',', begin), text.size());
        items.push_back(text.substr(begin, comma - begin));
        begin = comma + 1;
      }
      value = ListItems(items);
      break;
    }
  }
  IA_ASSIGN_OR_RETURN(json checked, Check(k, value, where, shown, home_));
  values_[k.name] = {std::move(checked), source};
  return Status::Ok();
}

Result<Config> Config::Load(const ConfigSources& sources) {
  Config c = Defaults();
  c.repo_dir_ = sources.repo_dir;
  c.home_ = sources.home;
  // The project's file first, then the user's over it (the seed's order).
  if (!sources.work_dir.empty()) {
    IA_RETURN_IF_ERROR(c.ApplyFile(sources.work_dir + "/ipfs_accelerate.json"));
  }
  if (!sources.repo_dir.empty()) {
    IA_RETURN_IF_ERROR(c.ApplyFile(sources.repo_dir + "/config.json"));
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
  s.home = HomeDirFromProcess();
  return Load(s);
}

const Config::Entry& Config::Get(const std::string& key, ConfigKey::Type type) const {
  const ConfigKey* k = FindKey(key);
  auto it = values_.find(key);
  if (!k || it == values_.end() ||
      (k->type != type && !(type == Type::kNumber && k->type == Type::kInt) &&
       !(type == Type::kString && k->type == Type::kPath))) {
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

bool Config::Bool(const std::string& key) const { return Get(key, Type::kBool).value.get<bool>(); }

uint64_t Config::Bytes(const std::string& key) const {
  return Get(key, Type::kBytes).value.get<uint64_t>();
}

std::vector<std::string> Config::List(const std::string& key) const {
  return Get(key, Type::kList).value.get<std::vector<std::string>>();
}

ServerSettings Config::Server() const {
  ServerSettings s;
  s.cache_size = Bytes("performance.cache_size");
  s.parallel_requests = static_cast<int>(Int("performance.parallel_requests"));
  s.enable_profiling = Bool("performance.enable_profiling");
  s.log_level = String("logging.level");
  s.log_file = String("logging.file");
  s.listen = String("serve.listen");
  s.api_key_file = String("serve.api_key_file");
  s.admin_key_file = String("serve.admin_key_file");
  s.tls_cert = String("serve.tls_cert");
  s.tls_key = String("serve.tls_key");
  return s;
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

std::string HomeDirFromProcess() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "";
}

Result<std::string> ResolveRepoPathFromProcess(const std::optional<std::string>& flag) {
  std::optional<std::string> env_path;
  if (const char* env = std::getenv("IPFS_ACCELERATE_PATH")) env_path = env;
  return ResolveRepoPath(flag, env_path, HomeDirFromProcess());
}

}  // namespace ipfs_accelerate
