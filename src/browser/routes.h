// The /browser/ routes a node serves for its workers: the page (web/, embedded), onnxruntime-web's
// script and wasm files, the workers' WebSocket (/browser/ws, into a Hub) and a JSON list of the
// attached workers (/browser/workers). Every answer carries the cross-origin isolation headers
// (COOP/COEP) that wasm threads need.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "browser/hub.h"
#include "server/app.h"

namespace ipfs_accelerate::browser {

// onnxruntime-web's dist/ directory: `configured` (browser.ort_dir) or the npm package that
// scripts/setup installs beside the sources.
std::string OrtWebDir(const std::string& configured);

// The mounts for server::AppHooks::mounts: /browser/ws and /browser/workers need a user key when
// the node has keys (a WebSocket may send it as ?key=); the page and its scripts are public.
std::vector<server::Mount> BrowserMounts(Hub* hub, const std::string& ort_dir);

// The hub's Prometheus families: ia_browser_workers, ia_browser_runs_total{ep},
// ia_browser_failures_total{reason}, ia_browser_model_loads_total.
std::vector<prometheus::MetricFamily> HubMetrics(const Hub& hub);

// The attached workers as JSON (the body of GET /browser/workers).
nlohmann::json WorkersJson(const std::vector<WorkerInfo>& workers);

}  // namespace ipfs_accelerate::browser
