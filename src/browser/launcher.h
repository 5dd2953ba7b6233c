// A browser started headless as a worker of this machine: the path found (browser.path, else
// Debian's chromium), a fresh profile in a temporary directory, its own process group, its output
// in a log beside the profile. Stopped and cleaned up when the object goes, and killed by the
// kernel when this process dies without that (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace ipfs_accelerate::browser {

// `configured` (browser.path) when set, else the first of /usr/bin/chromium,
// /usr/bin/chromium-browser, /usr/bin/google-chrome that exists; "" when none.
std::string FindBrowser(const std::string& configured);

// The flags a headless worker gets: no sandbox (containers), no background traffic of its own,
// WebGPU on (SwiftShader, software, where there is no GPU) and WebNN's navigator.ml.
std::vector<std::string> HeadlessFlags();

class LaunchedBrowser {
 public:
  // Starts `path` headless on `url`. kNotFound when `path` is no executable. The kernel's kill
  // follows the calling thread's end, so call it from one that lives as long as the browser
  // should (the main thread).
  static Result<std::unique_ptr<LaunchedBrowser>> Launch(const std::string& path,
                                                         const std::string& url);
  // Stop(), and the profile directory removed.
  ~LaunchedBrowser();
  LaunchedBrowser(const LaunchedBrowser&) = delete;
  LaunchedBrowser& operator=(const LaunchedBrowser&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM to its process group, SIGKILL after 2 s; idempotent.
  void Stop();
  // The last lines of what it printed (for errors: why it did not attach).
  std::string LogTail(size_t bytes = 2000) const;

 private:
  LaunchedBrowser() = default;
  pid_t pid_ = -1;
  std::string dir_;
};

}  // namespace ipfs_accelerate::browser
