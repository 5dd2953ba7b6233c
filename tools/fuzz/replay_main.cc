// Replays fuzz inputs through LLVMFuzzerTestOneInput in a normal (non-libFuzzer) build, so that
// `make test` runs every committed corpus file: each argument is a file or a directory (walked
// recursively). A missing or empty directory is an error, so a test cannot pass on nothing.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// The input being replayed, named by the handler when a check aborts or the parser crashes.
std::string current_input;

void NameInputAndDie(int sig) {
  static const char kPrefix[] = "\n*** while replaying ";
  (void)!write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  (void)!write(STDERR_FILENO, current_input.data(), current_input.size());
  (void)!write(STDERR_FILENO, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool ReplayFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return false;
  }
  // A heap buffer of exactly the file's size, so a sanitizer build sees reads past the end.
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  current_input = path.string();
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  // Name the input on a crash, unless a sanitizer already handles the signal (its report wins).
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
      std::signal(sig, NameInputAndDie);
    }
  }
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
      if (!ReplayFile(arg)) return 1;
      std::printf("replayed 1 inputs from %s\n", arg.c_str());
      continue;
    }
    if (!fs::is_directory(arg, ec)) {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 1;
    }
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(arg, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_regular_file()) files.push_back(it->path());
    }
    if (ec) {
      std::fprintf(stderr, "cannot list %s: %s\n", argv[i], ec.message().c_str());
      return 1;
    }
    if (files.empty()) {
      std::fprintf(stderr, "%s holds no inputs to replay\n", argv[i]);
      return 1;
    }
    std::sort(files.begin(), files.end());  // the same order on every run
    for (const fs::path& f : files) {
      if (!ReplayFile(f)) return 1;
    }
    std::printf("replayed %zu inputs from %s\n", files.size(), arg.c_str());
  }
  return 0;
}
