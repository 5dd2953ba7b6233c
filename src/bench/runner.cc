#include "bench/runner.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "bench/agreement.h"
#include "core/process_stats.h"
#include "engine/session.h"

namespace ipfs_accelerate::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The configurations a model is measured in: a model without a sequence dimension gets seq 0
// once; without a batch dimension, batch 1 once.
struct Sizes {
  std::vector<int64_t> batches, seqs;
};
Sizes SizesFor(const engine::Model& m, const BenchOptions& o) {
  ModelDims dims = InspectDims(m);
  Sizes s;
  s.batches = dims.has_batch ? o.batches : std::vector<int64_t>{1};
  s.seqs = dims.has_seq ? o.seqs : std::vector<int64_t>{0};
  return s;
}

// "height=640,width=640": the --dim values that name a dynamic dimension of one of the model's
// inputs, by name (a --dim the model does not have changes nothing, so it names nothing).
std::string DimsOf(const engine::Model& m, const std::map<std::string, int64_t>& dims) {
  std::set<std::string> params;
  for (const engine::ValueInfo& in : m.graph.inputs) {
    if (!in.shape) continue;
    for (const engine::Dim& d : *in.shape) {
      if (!d.param.empty()) params.insert(d.param);
    }
  }
  std::string out;
  for (const auto& [name, value] : dims) {  // std::map: sorted by name
    if (!params.count(name)) continue;
    out += (out.empty() ? "" : ",") + name + "=" + std::to_string(value);
  }
  return out;
}

bool Stopped(const BenchCallbacks& cb) { return cb.stop && cb.stop->load(); }

// The profile per run, node by node (nodes that never ran are left out).
std::vector<ResultRecord::NodeTime> NodeTimes(const std::vector<engine::NodeProfile>& profile) {
  std::vector<ResultRecord::NodeTime> v;
  for (const engine::NodeProfile& n : profile) {
    if (n.runs > 0) v.push_back({n.name, n.op_type, n.total_ms / static_cast<double>(n.runs)});
  }
  return v;
}

// One configuration: warm-up, then timed runs until the interval is narrow enough, the budget
// is spent or `stop` is set.
Status Measure(engine::Session& session, const std::map<std::string, Tensor>& inputs,
               const BenchOptions& o, const BenchCallbacks& cb, ResultRecord& r) {
  Clock::time_point start = Clock::now();
  while (r.warmup_runs < o.warmup_runs || Seconds(Clock::now() - start) < o.warmup_s) {
    if (Stopped(cb)) break;
    IA_RETURN_IF_ERROR(session.Run(inputs).status());
    ++r.warmup_runs;
    if (Seconds(Clock::now() - start) > o.max_time_s) break;  // very slow model: don't dawdle
  }
  ResetPeakRss();
  session.ResetProfile();
  Clock::time_point begin = Clock::now(), last_report = begin;
  double budget = o.max_time_s;
  // Summaries sort the samples: check convergence when the count has grown by 5% since the last
  // check, so the checks cost O(n log n) in all and a fast model stops near the fewest samples
  // that give the interval.
  size_t next_check = static_cast<size_t>(o.min_samples);
  while (!Stopped(cb)) {
    Clock::time_point t0 = Clock::now();
    IA_RETURN_IF_ERROR(session.Run(inputs).status());
    Clock::time_point t1 = Clock::now();
    r.samples_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    double elapsed = Seconds(t1 - begin);
    size_t n = r.samples_ms.size();
    bool enough = n >= static_cast<size_t>(o.min_samples);
    // The minimum time spreads the samples over more than one moment of the machine's load; by
    // default a model fast enough to give spread_samples sooner has spread them enough.
    bool spread = elapsed >= std::min(o.min_time_s, budget) ||
                  (o.spread_samples > 0 && n >= static_cast<size_t>(o.spread_samples));
    if (n >= next_check && spread) {
      next_check = std::max(n + 1, n + n / 20);
      r.stats = Summarize(r.samples_ms);
      if (r.stats.ci_valid && r.stats.ci_rel <= o.target_ci) {
        r.converged = true;
        break;
      }
    }
    // --min-samples is a true minimum (as hyperfine's --min-runs): the time budget ends sampling
    // only once it is met, so a slow model or a loaded machine never yields fewer.
    if ((elapsed >= budget && enough) || n >= static_cast<size_t>(o.max_samples)) break;
    if (cb.progress && t1 - last_report > std::chrono::milliseconds(100)) {
      last_report = t1;
      if (!enough) r.stats = Summarize(r.samples_ms);
      cb.progress(r, elapsed / budget);
    }
  }
  double wall = Seconds(Clock::now() - begin);
  r.interrupted = Stopped(cb);
  r.stats = Summarize(r.samples_ms);
  r.outlier = FlagOutliers(r.samples_ms);
  r.peak_rss_bytes = PeakRssBytes();
  r.node_times = NodeTimes(session.profile());
  double items = static_cast<double>(r.batch) * r.samples_ms.size();
  if (r.scenario == "offline") {
    // MLPerf offline: every query is available at once; the metric is items per wall second.
    r.throughput = wall > 0 ? items / wall : 0;
  } else {
    // Single-stream: one query at a time; throughput follows from the latencies.
    double total_ms = 0;
    for (double ms : r.samples_ms) total_ms += ms;
    r.throughput = total_ms > 0 ? items / (total_ms / 1000) : 0;
  }
  return Status::Ok();
}

}  // namespace

Result<int> ValidatePlan(const std::vector<BenchModel>& models, const BenchOptions& o) {
  for (const std::string& s : o.scenarios) {
    if (s != "single-stream" && s != "offline") {
      return Status::InvalidArgument("unknown scenario '" + s +
                                     "': choose single-stream (latency) or offline (throughput)");
    }
  }
  for (const std::string& h : o.hardware) {
    const engine::BackendRegistry& r = o.registry ? *o.registry : engine::BuiltinBackends();
    if (h != "cpu" && !r.Find(h).ok()) {
      return Status::Unsupported("the engine has no " + h +
                                 " backend; this build benchmarks cpu and the browser's webgpu, "
                                 "webnn and wasm");
    }
  }
  auto positive = [](const std::vector<int64_t>& v, const char* what) -> Status {
    if (v.empty()) return Status::InvalidArgument(std::string("no ") + what + " given");
    for (int64_t x : v) {
      if (x <= 0 || x > 1'000'000) {
        return Status::InvalidArgument(std::string(what) + " " + std::to_string(x) +
                                       " is out of range (1…1000000)");
      }
    }
    return Status::Ok();
  };
  IA_RETURN_IF_ERROR(positive(o.batches, "--batch"));
  IA_RETURN_IF_ERROR(positive(o.seqs, "--seq"));
  if (o.threads.empty()) return Status::InvalidArgument("no --threads given");
  for (int64_t t : o.threads) {
    if (t < 0 || t > 256) {  // as `run --threads`: 0 is one thread per core
      return Status::InvalidArgument("--threads " + std::to_string(t) +
                                     " is out of range (0…256; 0: one per core)");
    }
  }
  if (!(o.max_time_s > 0)) return Status::InvalidArgument("--max-time must be positive");
  if (o.max_samples < o.min_samples) {
    return Status::InvalidArgument("--max-samples must be at least --min-samples");
  }
  std::set<std::string> unused;
  for (const auto& [name, t] : o.inputs) unused.insert(name);
  int configurations = 0;
  for (const BenchModel& m : models) {
    auto model = m.load();
    if (!model.ok()) return model.status().WithContext("model " + m.name);
    for (const auto& in : model->graph.inputs) unused.erase(in.name);
    Sizes sizes = SizesFor(*model, o);
    configurations +=
        static_cast<int>(sizes.batches.size() * sizes.seqs.size() * o.hardware.size() *
                         o.threads.size() * o.precisions.size() * o.scenarios.size());
    for (int64_t b : sizes.batches) {
      for (int64_t s : sizes.seqs) {
        InputShape shape{b, s, o.dims};
        auto inputs = SynthesizeInputs(*model, shape, o.inputs, o.seed);
        if (!inputs.ok()) return inputs.status().WithContext("model " + m.name);
      }
    }
  }
  if (!unused.empty()) {
    return Status::InvalidArgument("--input " + *unused.begin() +
                                   "=…: no model given has an input of that name");
  }
  return configurations;
}

Result<bool> RunBenchmarks(const std::vector<BenchModel>& models, const BenchOptions& o,
                           const BenchCallbacks& cb) {
  for (const BenchModel& m : models) {
    if (Stopped(cb)) return true;
    IA_ASSIGN_OR_RETURN(engine::Model model, m.load());
    Sizes sizes = SizesFor(model, o);
    for (const std::string& hardware : o.hardware) {
      for (int64_t threads : o.threads) {
        std::unique_ptr<engine::Session> fp32;  // the reference of the other precisions
        for (engine::Precision precision : o.precisions) {
          // A copy of the model each time: the weights are shared.
          // Profiled: the time per node goes with each result (ResultRecord::node_times).
          std::vector<std::string> backends;
          if (hardware != "cpu") backends.push_back(hardware);
          auto session = engine::Session::Create(model, {.threads = static_cast<int>(threads),
                                                         .profile = true,
                                                         .precision = precision,
                                                         .memory_limit = o.memory_limit,
                                                         .backends = backends,
                                                         .registry = o.registry});
          if (!session.ok()) return session.status().WithContext("model " + m.name);
          if (precision != engine::Precision::kFp32 && !fp32) {
            IA_ASSIGN_OR_RETURN(
                fp32, engine::Session::Create(model, {.threads = static_cast<int>(threads),
                                                      .memory_limit = o.memory_limit}));
          }
          for (int64_t batch : sizes.batches) {
            for (int64_t seq : sizes.seqs) {
              IA_ASSIGN_OR_RETURN(auto inputs,
                                  SynthesizeInputs(model, {batch, seq, o.dims}, o.inputs, o.seed));
              ResultRecord base;
              base.model_name = m.name;
              base.model_cid = m.cid;
              base.hardware = hardware;
              base.precision = engine::PrecisionName(precision);
              base.batch = batch;
              base.seq = seq;
              base.dims = DimsOf(model, o.dims);
              base.threads = (*session)->threads();
              if (precision != engine::Precision::kFp32) {
                IA_ASSIGN_OR_RETURN(auto want, fp32->Run(inputs));
                IA_ASSIGN_OR_RETURN(auto got, (*session)->Run(inputs));
                Agreement g = CompareOutputs(want, got);
                base.cosine_vs_fp32 = g.cosine;
                base.top1_vs_fp32 = g.top1;
              }
              for (const std::string& scenario : o.scenarios) {
                if (Stopped(cb)) return true;
                ResultRecord r = base;
                r.scenario = scenario;
                Status s = Measure(**session, inputs, o, cb, r);
                if (!s.ok()) return s.WithContext("model " + m.name + " (" + r.Label() + ")");
                // Runs the whole-model backend failed were the CPU's: not this hardware's figure.
                if ((*session)->fallback_runs() > 0) {
                  return Status::Unavailable(
                      "model " + m.name + " (" + r.Label() + "): " + hardware + " failed " +
                      std::to_string((*session)->fallback_runs()) +
                      " runs and the CPU answered them; nothing recorded (the log says why)");
                }
                if (cb.on_result) IA_RETURN_IF_ERROR(cb.on_result(r));
                if (r.interrupted) return true;
              }
            }
          }
        }
      }
    }
  }
  return Stopped(cb);
}

}  // namespace ipfs_accelerate::bench
