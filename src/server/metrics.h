// The server's Prometheus metrics (/metrics), built at scrape time from the router's per-model
// statistics and the server's own counters. Names follow Triton's where one exists (so its
// dashboards map), with `model` and `version` (the model's CID) labels; durations are cumulative
// microseconds, as Triton's are. Ours carry the ia_ prefix.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "router/model_stats.h"
#include "router/remote.h"

namespace ipfs_accelerate::server {

class Metrics : public prometheus::Collectable {
 public:
  // `stats` is called at every scrape (from the scraping thread) and must be thread-safe;
  // `open_connections` likewise (HttpServer::open_connections). Either may be empty.
  Metrics(std::function<router::StatsSnapshot()> stats, std::function<int()> open_connections);

  // The remote inference counters (router::RemoteInference::Stats), when this node sends requests
  // to peers. Set before the server starts.
  void set_remote(std::function<router::RemoteStats()> remote) { remote_ = std::move(remote); }

  // How many available platforms `serve --hardware auto` passed over at start (no backend in
  // this build; router::HardwareChoice::fallbacks). Set before the server starts.
  void set_hardware_fallbacks(int64_t n) { hardware_fallbacks_ = n; }

  // More families, from a part above the server (the browser workers); called at every scrape,
  // thread-safe. Set before the server starts.
  void set_extra(std::function<std::vector<prometheus::MetricFamily>()> extra) {
    extra_ = std::move(extra);
  }

  // Counts one response sent with HTTP status `status`. Thread-safe and lock-free.
  void CountResponse(int status);

  // Every family, built now.
  std::vector<prometheus::MetricFamily> Collect() const override;
  // The exposition in Prometheus' text format (Content-Type: text/plain; version=0.0.4).
  std::string Text() const;

 private:
  std::function<router::StatsSnapshot()> stats_;
  std::function<int()> open_connections_;
  std::function<router::RemoteStats()> remote_;
  std::function<std::vector<prometheus::MetricFamily>()> extra_;
  int64_t hardware_fallbacks_ = 0;
  std::array<std::atomic<uint64_t>, 600> responses_{};  // by status; [0]: out of range
};

// The resident set size of this process in bytes (from /proc/self/statm), 0 when unknown.
int64_t ResidentMemoryBytes();

}  // namespace ipfs_accelerate::server
