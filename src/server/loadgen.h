// A load generator for a KServe v2 (Open Inference Protocol) REST server, as MLPerf's LoadGen
// drives one: closed loop (N connections, each sending its next request once the last is
// answered) or open loop (Poisson arrivals at a rate, latency measured from each request's
// scheduled arrival, so time queued at the client counts: no coordinated omission).
// The client side of the protocol in server/kserve.h (metadata in, request bodies out); its
// statistics are the benchmark's (bench/statistics.h), and `loadgen` records runs in the
// benchmark's results database as scenario "server".
// The pure parts (inputs, arrivals, summary) are separate from the HTTP client so that tests
// hold them to exact values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/status.h"
#include "core/tensor.h"
#include "router/kserve.h"
#include "router/router.h"

namespace ipfs_accelerate::server {

// An http:// URL split for a client. https:// is kUnsupported (not yet).
struct HttpUrl {
  std::string host;  // "127.0.0.1", "[::1]" without brackets
  uint16_t port = 80;
  std::string base;              // the path before /v2, without a trailing '/': "" or "/prefix"
  std::string HostPort() const;  // "127.0.0.1:8000"
};
Result<HttpUrl> ParseHttpUrl(const std::string& url);

// Sizes of dynamic (-1) dimensions: `exact["INPUT.AXIS"]`, else `batch` for axis 0, else `seq`.
struct DynamicDims {
  int64_t batch = 1;
  int64_t seq = 128;
  std::map<std::string, int64_t> exact;
};

// Inputs for every input of `model` (its metadata: router::ParseModelMetadata): `given` ones as
// they are (their dtype must match), the others synthesized as the benchmark does
// (bench::SynthesizeInputs: floats normal, masks ones, other integers 0). `synthesized` (when not
// null) receives the names made up. In metadata order.
Result<router::NamedTensors> MakeLoadgenInputs(const router::ModelInfo& model,
                                               const DynamicDims& dims,
                                               const std::map<std::string, Tensor>& given,
                                               uint64_t seed,
                                               std::vector<std::string>* synthesized);

// The items one request carries: the size of the first input's first axis (the batch); 1 when
// it is a scalar or there are no inputs.
int64_t ItemsPerRequest(const router::NamedTensors& inputs);

// Exponential gaps between Poisson arrivals at `rate` per second, from a fixed seed.
class PoissonArrivals {
 public:
  PoissonArrivals(double rate, uint64_t seed) : rng_(seed), gap_(rate) {}
  double NextGapSeconds() { return gap_(rng_); }

 private:
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_;
};

struct LoadgenOptions {
  HttpUrl url;
  std::string model;
  int concurrency = 1;            // closed loop: connections, each one request at a time
  double rate = 0;                // > 0: open loop, Poisson arrivals per second
  int open_connections = 64;      // open loop: connections serving the arrivals
  size_t max_outstanding = 1024;  // open loop: queued + in flight; beyond: dropped
  double duration_s = 10;         // arrivals (open) or new requests (closed) stop after this
  double drain_s = 10;            // requests still going after the duration get this long
  double request_timeout_s = 60;  // a request unanswered this long is an error
  std::string api_key;            // "" for none: sent as Authorization: Bearer KEY
  uint64_t seed = 1;
};

struct LoadgenResult {
  std::vector<double> latencies_ms;  // answered with 200, in order of completion
  uint64_t requests = 0;             // sent (answered, failed or unfinished)
  uint64_t ok = 0;
  std::map<int, uint64_t> errors;  // by HTTP status; 0: no HTTP answer (connection, timeout)
  uint64_t dropped = 0;            // open loop: arrivals refused with max_outstanding reached
  uint64_t unfinished = 0;         // still queued or in flight when the drain time ran out
  double wall_s = 0;               // from the start to the last answer
  bool interrupted = false;        // the cancel token stopped it
  uint64_t error_count() const;
};

// What the run has measured so far, for a progress line (called about ten times a second).
using LoadgenProgress = std::function<void(double elapsed_s, uint64_t ok, uint64_t errors)>;

// GET {url}/v2/models/{model}, read by ParseModelMetadata: kNotFound for 404, kIoError when the
// server cannot be reached; errors carry the server's message when it sent one.
Result<router::ModelInfo> FetchModelMetadata(const HttpUrl& url, const std::string& model,
                                             const std::string& api_key);

// Sends `body` (EncodeInferRequest's) once and checks it is answered with 200 (the server's
// error otherwise), so that a request the server refuses fails before the run starts.
Status TryInferRequest(const HttpUrl& url, const std::string& model, const std::string& api_key,
                       const router::EncodedBody& body);

// Runs the load, sending `body` again and again; stops early (interrupted) when `cancel` is
// cancelled, keeping what was measured.
Result<LoadgenResult> RunLoadgen(const LoadgenOptions& options, const router::EncodedBody& body,
                                 CancelToken* cancel, const LoadgenProgress& progress);

// The run as JSON: requests, ok, errors by status, dropped, throughput (req/s, items/s),
// latency ms (p50, p90, p99, max, mean; bench::Summarize's).
nlohmann::json LoadgenSummaryJson(const LoadgenResult& result, int64_t items_per_request);

}  // namespace ipfs_accelerate::server
