// The server's routes: KServe v2 (health, metadata, inference with binary tensors, model
// repository, statistics) and /metrics, over the router. One handler for HttpServer; it never
// blocks its io thread on an inference (the router answers from a worker), only on a model's
// first load for a metadata request.
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "router/providers.h"
#include "router/remote.h"
#include "router/router.h"
#include "router/task_models.h"
#include "server/auth.h"
#include "server/http_server.h"

namespace ipfs_accelerate::server {

// Routes that a part above the server adds (the browser workers' page and WebSocket): requests
// whose path is `prefix` or lies below it go to `handler` once a key of class `route` is checked.
struct Mount {
  std::string prefix;  // "/browser"
  RouteClass route = RouteClass::kUser;
  Handler handler;
};

struct AppHooks {
  // A refusal (401/403) for a request without the key its route needs, or nothing (server/auth.h).
  // Unset: every route is open.
  std::function<std::optional<HttpResponse>(const HttpRequest&, RouteClass)> authorize;
  // The Prometheus exposition for GET /metrics (server/metrics.h). Unset: 404.
  std::function<std::string()> metrics;
  // Told the status of every response (for the metrics).
  std::function<void(int status)> count_response;
  // One JSON object per request, for the structured log (core/log.h). Unset: no request log.
  std::function<void(const nlohmann::json& record)> log_request;
  // Whether /ipfs/… and /routing/v1/… want the API key (server/auth.h).
  GatewayAuth gateway_auth = GatewayAuth::kAuto;
  // Who provides what, for GET /routing/v1/… (server/routing_routes.h). Unset: those answer 501.
  const router::ProviderDirectory* providers = nullptr;
  // Where inference requests go when they may run on peers (router/remote.h); unset: here. A
  // request that a peer forwarded (header IA-Forwarded) always runs here.
  router::RemoteInference* remote = nullptr;
  // What this node publishes for its peers at GET /ia/v1/node (router::NodeStatusJson). Unset: 404.
  std::function<nlohmann::json()> node_status;
  // The task models behind the OpenAI-compatible and TEI routes (server/openai.h). Unset: those
  // paths are 404.
  router::TaskModels* tasks = nullptr;
  std::vector<Mount> mounts;
};

class App {
 public:
  App(router::Router& router, AppHooks hooks);

  // The Handler for HttpServer.
  void Handle(HttpRequest request, Responder respond);

  // Readiness (GET /v2/health/ready): false once shutting down, so load balancers stop sending.
  void set_ready(bool ready) { ready_ = ready; }

 private:
  void Route(HttpRequest& request, Responder respond);
  void Infer(HttpRequest& request, const std::string& model, const std::string& version,
             Responder respond);

  router::Router& router_;
  AppHooks hooks_;
  std::atomic<bool> ready_{true};
};

// The HTTP status for an error from the router: 400, 404, 429 (queue full), 503, 504, 500, …
int HttpStatusFor(const Status& status);

}  // namespace ipfs_accelerate::server
