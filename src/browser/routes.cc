#include "browser/routes.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "browser/web_files.h"

namespace ipfs_accelerate::browser {
namespace {

using json = nlohmann::json;

std::string ContentType(const std::string& name) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".wasm")) return "application/wasm";
  if (ends(".json") || ends(".map")) return "application/json";
  if (ends(".md")) return "text/markdown; charset=utf-8";
  return "application/octet-stream";
}

// The page runs cross-origin isolated (SharedArrayBuffer for wasm threads): everything it loads
// from this node says so.
server::HttpResponse Isolated(server::HttpResponse r) {
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Embedder-Policy", "require-corp");
  r.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  return r;
}

server::HttpResponse Embedded(const std::string& name) {
  for (const EmbeddedFile* f = kWebFiles; f->name; ++f) {
    if (name != f->name) continue;
    server::HttpResponse r;
    r.content_type = ContentType(name);
    r.body.assign(f->text, f->size);
    r.headers.emplace_back("Cache-Control", "no-cache");
    return Isolated(std::move(r));
  }
  return Isolated(server::HttpResponse::Error(404, "no file /browser/" + name));
}

// A file of onnxruntime-web's dist/: plain names only (no '/' or '..'), read whole (the largest
// wasm is ~30 MB) and cacheable for an hour, since the package version is pinned.
server::HttpResponse OrtFile(const std::string& dir, const std::string& name) {
  bool plain = !name.empty() && name[0] != '.';
  for (char c : name) {
    plain &= std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  }
  if (!plain) return Isolated(server::HttpResponse::Error(404, "no file /browser/ort/" + name));
  std::ifstream in(dir + "/" + name, std::ios::binary);
  if (!in) {
    return Isolated(server::HttpResponse::Error(
        404, "no file " + name + " in onnxruntime-web's " + dir +
                 " (run scripts/setup, or set browser.ort_dir to its dist/ directory)"));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  server::HttpResponse r;
  r.content_type = ContentType(name);
  r.body = bytes.str();
  r.headers.emplace_back("Cache-Control", "public, max-age=3600");
  return Isolated(std::move(r));
}

}  // namespace

std::string OrtWebDir(const std::string& configured) {
  return configured.empty() ? std::string(IA_ORT_WEB_DIR) : configured;
}

json WorkersJson(const std::vector<WorkerInfo>& workers) {
  json out = json::array();
  for (const WorkerInfo& w : workers) {
    out.push_back({{"id", w.id},
                   {"name", w.name},
                   {"remote", w.remote},
                   {"user_agent", w.user_agent},
                   {"eps", w.eps},
                   {"lacking", w.lacking},
                   {"loaded", w.loaded},
                   {"in_flight", w.in_flight},
                   {"runs", w.runs},
                   {"failures", w.failures},
                   {"capabilities", w.capabilities}});
  }
  return out;
}

std::vector<server::Mount> BrowserMounts(Hub* hub, const std::string& ort_dir) {
  auto ws = [hub](server::HttpRequest request, server::Responder respond) {
    if (!server::IsWebSocketUpgrade(request)) {
      auto r = server::HttpResponse::Error(
          426, "/browser/ws is the browser workers' WebSocket: open /browser/ in a browser");
      r.headers.emplace_back("Upgrade", "websocket");
      return respond(std::move(r));
    }
    server::HttpResponse r;
    r.websocket = hub->Accept();
    r.websocket_max_message = 1ull << 30;  // a model's outputs can be large
    respond(std::move(r));
  };
  auto workers = [hub](server::HttpRequest request, server::Responder respond) {
    server::HttpResponse r;
    r.body = WorkersJson(hub->Workers()).dump(2);
    respond(std::move(r));
  };
  auto files = [ort_dir](server::HttpRequest request, server::Responder respond) {
    if (request.method != "GET" && request.method != "HEAD") {
      return respond(server::HttpResponse::Error(405, "the browser page's files are GET only"));
    }
    const std::string& p = request.path;
    if (p == "/browser") {
      server::HttpResponse r;
      r.status = 308;
      r.headers.emplace_back("Location", "/browser/");
      return respond(std::move(r));
    }
    std::string rest = p.substr(std::string("/browser/").size());
    if (rest.empty()) return respond(Embedded("index.html"));
    if (rest.rfind("ort/", 0) == 0) return respond(OrtFile(ort_dir, rest.substr(4)));
    respond(Embedded(rest));
  };
  return {{"/browser/ws", server::RouteClass::kUser, ws},
          {"/browser/workers", server::RouteClass::kUser, workers},
          {"/browser", server::RouteClass::kPublic, files}};
}

std::vector<prometheus::MetricFamily> HubMetrics(const Hub& hub) {
  HubStats st = hub.Stats();
  auto family = [](const char* name, const char* help, prometheus::MetricType type) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    return f;
  };
  auto add = [](prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
                double v) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    if (f.type == prometheus::MetricType::Gauge) {
      m.gauge.value = v;
    } else {
      m.counter.value = v;
    }
    f.metric.push_back(std::move(m));
  };
  std::vector<prometheus::MetricFamily> out;
  auto workers =
      family("ia_browser_workers", "Browser workers attached now", prometheus::MetricType::Gauge);
  add(workers, {}, st.workers);
  out.push_back(std::move(workers));
  auto runs = family("ia_browser_runs_total", "Model runs browser workers answered, by EP",
                     prometheus::MetricType::Counter);
  for (const auto& [ep, n] : st.runs) add(runs, {{"ep", ep}}, double(n));
  out.push_back(std::move(runs));
  auto failures = family("ia_browser_failures_total",
                         "Browser runs that failed (the CPU answered them), by reason",
                         prometheus::MetricType::Counter);
  for (const auto& [reason, n] : st.failures) add(failures, {{"reason", reason}}, double(n));
  out.push_back(std::move(failures));
  auto loads = family("ia_browser_model_loads_total", "Models browser workers loaded",
                      prometheus::MetricType::Counter);
  add(loads, {}, double(st.loads));
  out.push_back(std::move(loads));
  return out;
}

}  // namespace ipfs_accelerate::browser
