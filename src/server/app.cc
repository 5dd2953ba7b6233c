#include "server/app.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/build_info.h"
#include "core/parse_number.h"
#include "router/kserve.h"
#include "router/store_ops.h"
#include "server/gateway.h"
#include "server/openai.h"
#include "server/routing_routes.h"

namespace ipfs_accelerate::server {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    if (slash > at) out.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

HttpResponse Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse ErrorFor(const Status& status) {
  HttpResponse r = HttpResponse::Error(HttpStatusFor(status), status.message());
  if (r.status == 429 || r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// Milliseconds with microseconds: "0.153".
std::string Ms(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ns / 1e6);
  return buf;
}

}  // namespace

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupported:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kBusy:
      return 429;
    case StatusCode::kCancelled:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

App::App(router::Router& router, AppHooks hooks) : router_(router), hooks_(std::move(hooks)) {}

void App::Handle(HttpRequest request, Responder respond) {
  if (!hooks_.count_response && !hooks_.log_request) return Route(request, std::move(respond));
  // Wraps the responder: counts the status, and writes the request's log line once the answer
  // has gone (off the client's latency).
  auto start = Clock::now();
  Responder answer = [this, start, id = request.id, method = request.method, path = request.path,
                      remote = request.remote, respond = std::move(respond)](HttpResponse r) {
    if (hooks_.count_response) hooks_.count_response(r.status);
    if (!hooks_.log_request) return respond(std::move(r));
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::string error_body = r.status >= 400 && r.body.size() < 2048 ? r.body : "";
    std::string cid;
    for (const auto& [k, v] : r.headers) {
      if (k == "x-model-cid") cid = v;
    }
    r.after_sent = [this, id, method, path, remote, ms, status = r.status, bytes = r.body.size(),
                    error_body = std::move(error_body), cid = std::move(cid)] {
      nlohmann::json log = {{"id", id},         {"method", method}, {"path", path},
                            {"remote", remote}, {"status", status}, {"ms", ms},
                            {"bytes", bytes}};
      auto j = nlohmann::json::parse(error_body, nullptr, false);
      if (j.is_object() && j.contains("error")) log["error"] = j["error"];
      if (!cid.empty()) log["cid"] = cid;
      hooks_.log_request(log);
    };
    respond(std::move(r));
  };
  Route(request, std::move(answer));
}

void App::Route(HttpRequest& request, Responder respond) {
  std::vector<std::string> s = Segments(request.path);
  const std::string& method = request.method;
  auto allow = [&](const char* want, RouteClass access) -> bool {
    if (method != want) {
      HttpResponse r =
          HttpResponse::Error(405, request.path + " takes " + want + ", not " + method);
      r.headers.emplace_back("Allow", want);
      respond(std::move(r));
      return false;
    }
    if (hooks_.authorize) {
      if (auto refusal = hooks_.authorize(request, access)) {
        respond(std::move(*refusal));
        return false;
      }
    }
    return true;
  };
  auto n = s.size();
  if (n == 1 && s[0] == "metrics" && hooks_.metrics) {
    if (!allow("GET", RouteClass::kAdmin)) return;
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = hooks_.metrics();
    return respond(std::move(r));
  }
  if (hooks_.tasks && n >= 1 && (s[0] == "v1" || s[0] == "embed" || s[0] == "tokenize")) {
    if (hooks_.authorize) {
      if (auto refusal = hooks_.authorize(request, RouteClass::kUser)) {
        return respond(std::move(*refusal));
      }
    }
    if (ServeOpenAi(request, s, *hooks_.tasks, respond)) return;
  }
  if (n >= 1 && s[0] == "ipfs") {
    if (!allow(method == "HEAD" ? "HEAD" : "GET",
               GatewayRouteClass(hooks_.gateway_auth, request))) {
      return;
    }
    return respond(ServeGateway(request, s, router_.options().repo));
  }
  if (n >= 1 && s[0] == "routing") {  // Delegated Routing V1: a CORS preflight needs no key
    if (method == "GET" && hooks_.authorize) {
      if (auto refusal =
              hooks_.authorize(request, GatewayRouteClass(hooks_.gateway_auth, request))) {
        refusal->headers.emplace_back("Access-Control-Allow-Origin", "*");
        return respond(std::move(*refusal));
      }
    }
    return respond(RoutingResponse(request, s, hooks_.providers));
  }
  for (const Mount& m : hooks_.mounts) {
    const std::string& p = request.path;
    if (p.compare(0, m.prefix.size(), m.prefix) != 0 ||
        (p.size() > m.prefix.size() && p[m.prefix.size()] != '/')) {
      continue;
    }
    if (hooks_.authorize) {
      if (auto refusal = hooks_.authorize(request, m.route)) return respond(std::move(*refusal));
    }
    return m.handler(std::move(request), std::move(respond));
  }
  if (n == 3 && s[0] == "ia" && s[1] == "v1" && s[2] == "node" && hooks_.node_status) {
    if (!allow("GET", RouteClass::kUser)) return;
    return respond(Json(200, hooks_.node_status()));
  }
  if (n == 0 || s[0] != "v2") {
    return respond(HttpResponse::Error(
        404,
        "no route " + request.path +
            " (the KServe v2 routes are under /v2; see "
            "GET /v2 and /metrics; blocks and CARs: GET /ipfs/{cid}?format=raw|car; this node's "
            "status for peers: GET /ia/v1/node)"));
  }
  if (n == 1) {
    if (!allow("GET", RouteClass::kUser)) return;
    return respond(Json(
        200,
        {{"name", "ipfs-accelerate"},
         {"version", Version()},
         {"extensions", {"binary_tensor_data", "model_repository", "statistics", "model_cid"}}}));
  }
  if (n == 3 && s[1] == "health" && (s[2] == "live" || s[2] == "ready")) {
    if (s[2] == "live") {
      if (!allow("GET", RouteClass::kPublic)) return;
      return respond(Json(200, {{"live", true}}));
    }
    if (!allow("GET", RouteClass::kUser)) return;
    bool ready = ready_.load();
    return respond(Json(ready ? 200 : 503, {{"ready", ready}}));
  }
  if (s[1] == "repository") {
    if (n == 3 && s[2] == "index") {
      if (!allow("POST", RouteClass::kAdmin)) return;
      nlohmann::json out = nlohmann::json::array();
      for (const router::ModelInfo& m : router_.List()) {
        nlohmann::json e = {
            {"name", m.name}, {"version", m.cid}, {"state", m.loaded ? "READY" : "UNAVAILABLE"}};
        if (!m.loaded) e["reason"] = "unloaded (it loads on its next request)";
        out.push_back(std::move(e));
      }
      return respond(Json(200, out));
    }
    if (n == 5 && s[2] == "models" && (s[4] == "load" || s[4] == "unload")) {
      if (!allow("POST", RouteClass::kAdmin)) return;
      Status st = s[4] == "load" ? router_.Load(s[3]) : router_.Unload(s[3]);
      if (!st.ok()) {
        HttpResponse r = ErrorFor(st);
        if (st.code() == StatusCode::kBusy) r.status = 409;
        return respond(std::move(r));
      }
      return respond(Json(200, nlohmann::json::object()));
    }
    return respond(HttpResponse::Error(404, "no route " + request.path));
  }
  if (s[1] != "models" || n < 3) {
    return respond(HttpResponse::Error(404, "no route " + request.path));
  }
  if (n == 3 && s[2] == "stats") {  // every model's statistics
    if (!allow("GET", RouteClass::kUser)) return;
    nlohmann::json all = nlohmann::json::array();
    for (const auto& m : router_.Stats()) all.push_back(router::ModelStatistics(m));
    return respond(Json(200, {{"model_stats", all}}));
  }
  // /v2/models/{m}[/versions/{v}][/ready|/infer|/stats]
  const std::string& model = s[2];
  std::string version;
  size_t at = 3;
  if (n >= 5 && s[3] == "versions") {
    version = s[4];
    at = 5;
  }
  std::string action = at < n ? s[at] : "";
  if (at + (action.empty() ? 0 : 1) != n ||
      !(action.empty() || action == "ready" || action == "infer" || action == "stats")) {
    return respond(HttpResponse::Error(404, "no route " + request.path));
  }
  if (action == "infer") {
    if (!allow("POST", RouteClass::kUser)) return;
    return Infer(request, model, version, std::move(respond));
  }
  if (!allow("GET", RouteClass::kUser)) return;
  auto check_version = [&](const std::string& cid) -> bool {
    if (version.empty() || version == cid) return true;
    respond(HttpResponse::Error(404, "model '" + model + "' has no version '" + version +
                                         "' (its version is its CID, " + cid + ")"));
    return false;
  };
  if (action == "stats") {
    for (const auto& m : router_.Stats()) {
      if (m.name == model || m.cid == model) {
        if (!check_version(m.cid)) return;
        return respond(Json(200, {{"model_stats", {router::ModelStatistics(m)}}}));
      }
    }
    return respond(HttpResponse::Error(404, "no model named '" + model + "'"));
  }
  if (action == "ready") {
    // Ready: registered and loadable (an unloaded model loads on its next request).
    auto info = router_.Describe(model);
    if (!info.ok()) return respond(ErrorFor(info.status()));
    if (!check_version(info->cid)) return;
    HttpResponse r = Json(200, {{"name", info->name}, {"ready", true}});
    r.headers.emplace_back("x-model-cid", info->cid);
    return respond(std::move(r));
  }
  auto info = router_.Describe(model);
  if (!info.ok()) return respond(ErrorFor(info.status()));
  if (!check_version(info->cid)) return;
  HttpResponse r = Json(200, router::ModelMetadata(*info));
  r.headers.emplace_back("x-model-cid", info->cid);
  respond(std::move(r));
}

void App::Infer(HttpRequest& request, const std::string& model, const std::string& version,
                Responder respond) {
  if (!router_.Knows(model)) {
    return respond(HttpResponse::Error(
        404, "no model named '" + model +
                 "' (POST /v2/repository/index lists the models this server has)"));
  }
  std::optional<uint64_t> header_length;
  if (request.HasHeader("inference-header-content-length")) {
    auto n = ParseInt(request.Header("inference-header-content-length"),
                      "Inference-Header-Content-Length", 0, INT64_MAX);
    if (!n.ok()) return respond(HttpResponse::Error(400, n.status().message()));
    header_length = static_cast<uint64_t>(*n);
  }
  auto call = router::DecodeInferRequest(request.body, header_length);
  if (!call.ok()) return respond(HttpResponse::Error(400, call.status().message()));
  request.body.clear();
  request.body.shrink_to_fit();
  auto shared = std::make_shared<router::InferCall>(std::move(call).value());
  router::InferRequest r = shared->request;  // tensors share their buffers
  r.model = model;
  r.version = version;
  r.cancel = request.client_gone;
  std::string request_id = request.Header("x-request-id");
  auto answer = [shared, request_id,
                 respond = std::move(respond)](Result<router::InferResponse> result) {
    if (!result.ok()) return respond(ErrorFor(result.status()));
    router::EncodedBody encoded = router::EncodeInferResponse(*result, *shared);
    HttpResponse out;
    out.body = std::move(encoded.body);
    if (encoded.header_length) {
      out.content_type = "application/octet-stream";
      out.headers.emplace_back("Inference-Header-Content-Length",
                               std::to_string(*encoded.header_length));
    }
    out.headers.emplace_back("x-model-cid", result->cid);
    out.headers.emplace_back("x-queue-time", Ms(result->queue_ns));
    out.headers.emplace_back("x-inference-time", Ms(result->compute_ns));
    out.headers.emplace_back("x-batch-size", std::to_string(result->batch_size));
    if (!request_id.empty()) out.headers.emplace_back("x-request-id", request_id);
    respond(std::move(out));
  };
  // A request a peer sent here runs here: forwarding it again could make a loop.
  if (hooks_.remote && !request.HasHeader(router::kForwardedHeader)) {
    return hooks_.remote->Infer(std::move(r), std::move(answer));
  }
  router_.Infer(std::move(r), std::move(answer));
}

}  // namespace ipfs_accelerate::server
