#include "browser/local_worker.h"

#include <chrono>
#include <sstream>
#include <thread>

#include "browser/routes.h"
#include "server/gateway.h"

namespace ipfs_accelerate::browser {

Result<std::unique_ptr<LocalWorker>> LocalWorker::Start(LocalWorkerOptions options) {
  std::unique_ptr<LocalWorker> w(new LocalWorker());
  w->hub_ = std::make_unique<Hub>(options.hub);
  auto mounts =
      std::make_shared<std::vector<server::Mount>>(BrowserMounts(w->hub_.get(), options.ort_dir));
  std::string repo = options.repo;
  auto handler = [mounts, repo](server::HttpRequest request, server::Responder respond) {
    const std::string& p = request.path;
    for (const server::Mount& m : *mounts) {
      if (p.compare(0, m.prefix.size(), m.prefix) == 0 &&
          (p.size() == m.prefix.size() || p[m.prefix.size()] == '/')) {
        return m.handler(std::move(request), std::move(respond));
      }
    }
    if (p.rfind("/ipfs/", 0) == 0 && !repo.empty()) {
      std::vector<std::string> segments;
      std::stringstream ss(p.substr(1));
      for (std::string s; std::getline(ss, s, '/');) {
        if (!s.empty()) segments.push_back(s);
      }
      return respond(server::ServeGateway(request, segments, repo));
    }
    respond(server::HttpResponse::Error(404, "no route " + p));
  };
  IA_ASSIGN_OR_RETURN(w->http_, server::HttpServer::Start(
                                    {.host = "127.0.0.1", .port = 0, .io_threads = 2}, handler));
  std::string url = "http://127.0.0.1:" + std::to_string(w->http_->port()) + "/browser/?name=local";
  IA_ASSIGN_OR_RETURN(w->browser_, LaunchedBrowser::Launch(options.browser_path, url));
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(options.attach_timeout_s));
  while (!w->hub_->WaitForWorker("", 0.2)) {
    if (!w->browser_->Running()) {
      return Status::Unavailable(options.browser_path + " exited before its page attached:\n" +
                                 w->browser_->LogTail());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::DeadlineExceeded("the page in " + options.browser_path +
                                      " did not attach within " +
                                      std::to_string(static_cast<int>(options.attach_timeout_s)) +
                                      " s; its last output:\n" + w->browser_->LogTail());
    }
  }
  return w;
}

LocalWorker::~LocalWorker() {
  if (browser_) browser_->Stop();
  if (http_) http_->Stop(0);
}

Result<nlohmann::json> ProbeBrowserCapabilities(const std::string& browser_path,
                                                const std::string& ort_dir, double timeout_s) {
  IA_ASSIGN_OR_RETURN(std::unique_ptr<LocalWorker> w,
                      LocalWorker::Start({.browser_path = browser_path,
                                          .ort_dir = ort_dir,
                                          .hub = {.events = LogLevel::kDebug},
                                          .attach_timeout_s = timeout_s}));
  std::vector<WorkerInfo> workers = w->hub().Workers();
  if (workers.empty()) return Status::Unavailable("the probe page left before it was read");
  nlohmann::json caps = workers.front().capabilities;
  caps["user_agent"] = workers.front().user_agent;
  return caps;
}

}  // namespace ipfs_accelerate::browser
