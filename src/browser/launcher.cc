#include "browser/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace ipfs_accelerate::browser {

std::string FindBrowser(const std::string& configured) {
  if (!configured.empty()) return configured;
  for (const char* p :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

std::vector<std::string> HeadlessFlags() {
  return {"--headless=new", "--no-sandbox", "--disable-quic", "--no-first-run",
          "--no-default-browser-check", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--disable-extensions",
          "--disable-dev-shm-usage",
          "--disable-breakpad",  // no crash handler process, which would outlive the browser
          "--disable-crash-reporter",
          // WebGPU (SwiftShader where there is no GPU) and WebNN (navigator.ml; on this Linux
          // build its createContext fails, and the probe reports why).
          "--enable-unsafe-webgpu", "--enable-features=WebMachineLearningNeuralNetwork"};
}

Result<std::unique_ptr<LaunchedBrowser>> LaunchedBrowser::Launch(const std::string& path,
                                                                 const std::string& url) {
  if (path.empty() || ::access(path.c_str(), X_OK) != 0) {
    return Status::NotFound("no browser at '" + path +
                            "' (install chromium, or set browser.path to a Chromium or Chrome)");
  }
  char tmpl[] = "/tmp/ia-browser-XXXXXX";
  if (!::mkdtemp(tmpl)) return Status::IoError("cannot make a temporary browser profile in /tmp");
  std::unique_ptr<LaunchedBrowser> b(new LaunchedBrowser());
  b->dir_ = tmpl;
  std::vector<std::string> args = {path};
  for (const std::string& f : HeadlessFlags()) args.push_back(f);
  args.push_back("--user-data-dir=" + b->dir_ + "/profile");
  args.push_back(url);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // fork and exec rather than posix_spawn: the child asks the kernel to kill it when this process
  // dies, however it dies (a SIGKILLed server must not leave its browser behind). Between fork and
  // exec only async-signal-safe calls: everything they need is made before the fork.
  std::string log = b->dir_ + "/browser.log";
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::IoError(std::string("cannot start ") + path + ": fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: Stop reaches its helper processes too
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before the line above
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::execve(path.c_str(), argv.data(), environ);
    ::_exit(127);
  }
  b->pid_ = pid;
  return b;
}

bool LaunchedBrowser::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    ::kill(-pid_, SIGKILL);  // what is left of its group
    pid_ = -1;
    return false;
  }
  return true;
}

void LaunchedBrowser::Stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);  // helpers that outlived the main process
  pid_ = -1;
}

std::string LaunchedBrowser::LogTail(size_t bytes) const {
  std::ifstream in(dir_ + "/browser.log", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string all = s.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

LaunchedBrowser::~LaunchedBrowser() {
  Stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace ipfs_accelerate::browser
