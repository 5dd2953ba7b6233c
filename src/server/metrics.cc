#include "server/metrics.h"

#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <cstdio>

namespace ipfs_accelerate::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

void Add(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
}

double Micros(uint64_t ns) { return static_cast<double>(ns / 1000); }

// One counter or gauge per model, read from its ModelStats.
struct PerModel {
  const char* name;
  const char* help;
  MetricType type;
  double (*value)(const router::ModelStats&);
};

constexpr MetricType kCounter = MetricType::Counter;
constexpr MetricType kGauge = MetricType::Gauge;

const PerModel kPerModel[] = {
    {"nv_inference_request_success", "Number of successful inference requests, all batch sizes",
     kCounter, [](const router::ModelStats& s) { return double(s.success.count); }},
    {"nv_inference_request_failure", "Number of failed inference requests, all batch sizes",
     kCounter, [](const router::ModelStats& s) { return double(s.fail.count); }},
    {"nv_inference_count", "Number of inferences performed (a request of batch 4 counts 4)",
     kCounter, [](const router::ModelStats& s) { return double(s.inference_count); }},
    {"nv_inference_exec_count", "Number of model executions performed (a merged batch counts once)",
     kCounter, [](const router::ModelStats& s) { return double(s.execution_count); }},
    {"nv_inference_request_duration_us",
     "Cumulative inference request duration of successful requests in microseconds", kCounter,
     [](const router::ModelStats& s) { return Micros(s.success.ns); }},
    {"nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds",
     kCounter, [](const router::ModelStats& s) { return Micros(s.queue.ns); }},
    {"nv_inference_compute_input_duration_us",
     "Cumulative compute input duration in microseconds (merging batch inputs)", kCounter,
     [](const router::ModelStats& s) { return Micros(s.compute_input.ns); }},
    {"nv_inference_compute_infer_duration_us",
     "Cumulative compute inference duration in microseconds", kCounter,
     [](const router::ModelStats& s) { return Micros(s.compute_infer.ns); }},
    {"nv_inference_compute_output_duration_us",
     "Cumulative compute output duration in microseconds (splitting batch outputs)", kCounter,
     [](const router::ModelStats& s) { return Micros(s.compute_output.ns); }},
    {"ia_inference_rejected_total", "Inference requests refused because the queue was full (429)",
     kCounter, [](const router::ModelStats& s) { return double(s.rejected); }},
    {"ia_inference_cancelled_total",
     "Inference requests dropped from the queue: the client went away or its timeout passed",
     kCounter, [](const router::ModelStats& s) { return double(s.cancelled); }},
    {"ia_model_loaded", "1 when the model is loaded in memory, else 0", kGauge,
     [](const router::ModelStats& s) { return s.loaded ? 1.0 : 0.0; }},
    {"ia_model_memory_bytes", "Bytes the model holds: weights plus the most its runs held at once",
     kGauge, [](const router::ModelStats& s) { return double(s.memory_bytes); }},
    {"ia_model_loads_total", "Times the model was loaded", kCounter,
     [](const router::ModelStats& s) { return double(s.loads); }},
    {"ia_model_evictions_total",
     "Times the model was unloaded to make room under the memory budget", kCounter,
     [](const router::ModelStats& s) { return double(s.evictions); }},
    {"ia_model_load_duration_seconds_total", "Cumulative time spent loading the model in seconds",
     kCounter, [](const router::ModelStats& s) { return double(s.load.ns) / 1e9; }},
    {"ia_backend_fallbacks_total",
     "Runs the model's whole-model backend (a browser worker) failed and the CPU answered",
     kCounter, [](const router::ModelStats& s) { return double(s.backend_fallbacks); }},
};

}  // namespace

int64_t ResidentMemoryBytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (!file) return 0;
  long long size = 0, resident = 0;
  int read = std::fscanf(file, "%lld %lld", &size, &resident);
  std::fclose(file);
  long page = sysconf(_SC_PAGESIZE);
  return read == 2 && page > 0 ? resident * page : 0;
}

Metrics::Metrics(std::function<router::StatsSnapshot()> stats,
                 std::function<int()> open_connections)
    : stats_(std::move(stats)), open_connections_(std::move(open_connections)) {}

void Metrics::CountResponse(int status) {
  size_t slot = status > 0 && static_cast<size_t>(status) < responses_.size() ? status : 0;
  responses_[slot].fetch_add(1, std::memory_order_relaxed);
}

std::vector<MetricFamily> Metrics::Collect() const {
  router::StatsSnapshot snapshot = stats_ ? stats_() : router::StatsSnapshot();
  std::vector<MetricFamily> out;
  for (const PerModel& per : kPerModel) {
    MetricFamily family = Family(per.name, per.help, per.type);
    for (const auto& model : snapshot) {
      Add(family, {{"model", model.name}, {"version", model.cid}}, per.value(model));
    }
    out.push_back(std::move(family));
  }

  MetricFamily batches =
      Family("ia_batch_executions_total", "Model executions by the batch size they ran", kCounter);
  int loaded = 0;
  for (const auto& model : snapshot) {
    loaded += model.loaded ? 1 : 0;
    for (const auto& [size, duration] : model.batches) {
      Add(batches,
          {{"model", model.name}, {"version", model.cid}, {"batch_size", std::to_string(size)}},
          double(duration.count));
    }
  }
  out.push_back(std::move(batches));

  MetricFamily queued = Family("nv_inference_pending_request_count",
                               "Requests waiting now for a batch or a worker", kGauge);
  for (const auto& model : snapshot) {
    Add(queued, {{"model", model.name}, {"version", model.cid}}, double(model.queued));
  }
  out.push_back(std::move(queued));

  if (remote_) {
    router::RemoteStats r = remote_();
    MetricFamily calls = Family("ia_remote_requests_total",
                                "Inference requests sent to peers, by peer and outcome", kCounter);
    MetricFamily seconds =
        Family("ia_remote_request_duration_seconds_total",
               "Cumulative time of the successful requests sent to peers, in seconds", kCounter);
    for (const auto& [peer, p] : r.peers) {
      Add(calls, {{"peer", peer}, {"outcome", "success"}}, double(p.ok));
      Add(calls, {{"peer", peer}, {"outcome", "failure"}}, double(p.failed));
      Add(seconds, {{"peer", peer}}, double(p.ns) / 1e9);
    }
    out.push_back(std::move(calls));
    out.push_back(std::move(seconds));
    MetricFamily fallbacks = Family(
        "ia_remote_fallbacks_total",
        "Times a peer failed (error, timeout or an invalid answer) and the next choice was tried",
        kCounter);
    Add(fallbacks, {}, double(r.fallbacks));
    out.push_back(std::move(fallbacks));
    MetricFamily local = Family("ia_remote_local_total",
                                "Requests that remote inference ran on this node", kCounter);
    Add(local, {}, double(r.local));
    out.push_back(std::move(local));
  }

  MetricFamily hardware = Family(
      "ia_hardware_fallbacks_total",
      "Available platforms --hardware auto passed over for one with a backend, since the start",
      kCounter);
  Add(hardware, {}, double(hardware_fallbacks_));
  out.push_back(std::move(hardware));

  MetricFamily models = Family("ia_models_loaded", "Models loaded in memory now", kGauge);
  Add(models, {}, loaded);
  out.push_back(std::move(models));

  MetricFamily rss =
      Family("process_resident_memory_bytes", "Resident memory size in bytes", kGauge);
  Add(rss, {}, double(ResidentMemoryBytes()));
  out.push_back(std::move(rss));

  MetricFamily connections =
      Family("ia_http_open_connections", "HTTP connections open now", kGauge);
  Add(connections, {}, open_connections_ ? open_connections_() : 0);
  out.push_back(std::move(connections));

  MetricFamily responses =
      Family("ia_http_responses_total", "HTTP responses sent, by status code", kCounter);
  for (size_t code = 0; code < responses_.size(); ++code) {
    uint64_t count = responses_[code].load(std::memory_order_relaxed);
    if (count == 0) continue;
    Add(responses, {{"code", code == 0 ? "other" : std::to_string(code)}}, double(count));
  }
  out.push_back(std::move(responses));
  if (extra_) {
    for (prometheus::MetricFamily& f : extra_()) out.push_back(std::move(f));
  }
  return out;
}

std::string Metrics::Text() const { return prometheus::TextSerializer().Serialize(Collect()); }

}  // namespace ipfs_accelerate::server
