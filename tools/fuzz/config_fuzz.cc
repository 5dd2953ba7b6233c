// Fuzzes the configuration layers: the bytes are a project file (./ipfs_accelerate.json), and
// each of their lines is also tried as a --set override and as an environment value. Every input
// must give a configuration or an error; whatever loads must print as JSON. The bytes also go
// through ParseJson, the parser of every JSON from outside: what it accepts nests no deeper than
// the limit (with a small limit too) and prints back to the same value.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/json_util.h"

namespace {

using namespace ipfs_accelerate;

const std::string& WorkDir() {
  static const std::string dir = [] {
    char templ[] = "/tmp/config_fuzz_XXXXXX";
    const char* made = mkdtemp(templ);
    if (!made) std::abort();
    return std::string(made);
  }();
  return dir;
}

void Check(const ConfigSources& sources) {
  auto c = Config::Load(sources);
  if (c.ok()) {
    if (DumpJson(c->ToJson()).empty()) std::abort();
    (void)c->BenchDbPath();
  } else if (c.status().message().empty()) {
    std::abort();  // an error must say what is wrong
  }
}

// How deeply `j` nests arrays and objects, walked without recursion (a scalar is 0).
int Depth(const nlohmann::json& j) {
  int deepest = 0;
  std::vector<std::pair<const nlohmann::json*, int>> todo = {{&j, 0}};
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    for (const auto& child : *v) todo.push_back({&child, depth + 1});
  }
  return deepest;
}

void CheckParseJson(const std::string& text, int max_depth) {
  auto j = ParseJson(text, "fuzz", max_depth);
  if (!j.ok()) {
    if (j.status().message().find("fuzz") != 0) std::abort();  // errors name their source
    return;
  }
  if (Depth(*j) > max_depth) std::abort();
  auto again = ParseJson(DumpJson(*j), "dump", max_depth);
  // Invalid UTF-8 cannot reach here (the parser refuses it), so the dump parses to the same value.
  if (!again.ok() || *again != *j) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  CheckParseJson(text, kMaxJsonDepth);
  CheckParseJson(text, 3);
  // A plain write: durability does not matter here, and an fsync per input would cost most of
  // the fuzzer's time.
  FILE* f = std::fopen((WorkDir() + "/ipfs_accelerate.json").c_str(), "wb");
  if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
    std::abort();
  }
  ConfigSources sources;
  sources.work_dir = WorkDir();
  Check(sources);

  sources.work_dir.clear();
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    sources.overrides = {line};
    sources.env = {};
    Check(sources);
    size_t eq = line.find('=');
    if (eq != std::string::npos) {
      sources.overrides = {};
      sources.env = {{"IPFS_ACCELERATE_" + line.substr(0, eq), line.substr(eq + 1)}};
      Check(sources);
    }
    start = end + 1;
  }
  return 0;
}
