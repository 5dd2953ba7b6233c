// Fuzzes the configuration layers: the bytes are a project file (./ipfs_accelerate.json), and
// each of their lines is also tried as a --set override and as an environment value. Every input
// must give a configuration or an error; whatever loads must print as JSON.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/config.h"
#include "core/file_util.h"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!WriteFileAtomic(WorkDir() + "/ipfs_accelerate.json", text).ok()) std::abort();
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
