// A browser worker on this machine, for one command (hw's probe, run --hardware webgpu): a hub, an
// HTTP server on 127.0.0.1 (a free port) with the page, onnxruntime-web and the repository's
// blocks (trustless gateway), and a headless browser that opens the page and attaches.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "browser/hub.h"
#include "browser/launcher.h"
#include "core/status.h"
#include "server/http_server.h"

namespace ipfs_accelerate::browser {

struct LocalWorkerOptions {
  std::string browser_path;  // FindBrowser's answer
  std::string repo;          // whose blocks the gateway serves ("": none)
  std::string ort_dir;       // OrtWebDir's answer
  HubOptions hub;
  double attach_timeout_s = 60;  // for the browser to start and say hello
};

class LocalWorker {
 public:
  // Starts all three and waits until the page has attached. kDeadlineExceeded (with the
  // browser's last output) when it does not in time.
  static Result<std::unique_ptr<LocalWorker>> Start(LocalWorkerOptions options);
  // Stops the browser, then the server.
  ~LocalWorker();
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  Hub& hub() { return *hub_; }
  uint16_t port() const { return http_->port(); }

 private:
  LocalWorker() = default;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<server::HttpServer> http_;
  std::unique_ptr<LaunchedBrowser> browser_;
};

// What a headless browser on this machine reports it can do (the page's hello capabilities:
// webgpu, webnn, wasm, with the reasons), from a real probe.
Result<nlohmann::json> ProbeBrowserCapabilities(const std::string& browser_path,
                                                const std::string& ort_dir, double timeout_s);

}  // namespace ipfs_accelerate::browser
