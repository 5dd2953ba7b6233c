// hw --calibrate: GEMM rate, memory bandwidth and per-node cost of this CPU, through the engine.
#include "perf/calibrate.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <random>

#include "core/parallel_for.h"
#include "core/thread_pool.h"
#include "engine/graph.h"
#include "engine/precision.h"
#include "engine/session.h"

namespace ipfs_accelerate::perf {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr int64_t kGemmSize = 1024;
constexpr int kChainNodes = 200;
constexpr int kMinRepetitions = 3;

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Runs `fn` (one repetition, returning its seconds) at least kMinRepetitions times and until
// `seconds` have passed; the median repetition.
template <typename Fn>
Result<double> MedianSeconds(double seconds, const Fn& fn) {
  std::vector<double> times;
  const Clock::time_point start = Clock::now();
  while (static_cast<int>(times.size()) < kMinRepetitions ||
         std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    IA_ASSIGN_OR_RETURN(double t, fn());
    times.push_back(t);
  }
  return Median(times);
}

Tensor RandomFloats(std::vector<int64_t> shape, uint32_t seed) {
  Tensor t = Tensor::Empty(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

engine::ValueInfo Info(const std::string& name, std::vector<int64_t> shape) {
  engine::ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat32;
  std::vector<engine::Dim> dims;
  for (int64_t d : shape) dims.push_back({d, ""});
  v.shape = dims;
  return v;
}

engine::Node MakeNode(const std::string& name, const std::string& op,
                      std::vector<std::string> inputs, std::string output) {
  engine::Node n;
  n.name = name;
  n.op_type = op;
  n.opset = 17;
  n.inputs = std::move(inputs);
  n.outputs = {std::move(output)};
  return n;
}

// y = x W: x [1024, 1024] fed, W [1024, 1024] a constant (the weights LowerPrecision converts).
engine::Model GemmModel() {
  engine::Model m;
  m.opsets[""] = 17;
  m.graph.name = "calibrate_gemm";
  m.graph.inputs = {Info("x", {kGemmSize, kGemmSize})};
  m.graph.outputs = {Info("y", {kGemmSize, kGemmSize})};
  m.graph.initializers["w"] = RandomFloats({kGemmSize, kGemmSize}, 2);
  m.graph.nodes.push_back(MakeNode("matmul", "MatMul", {"x", "w"}, "y"));
  return m;
}

// x [1, 16] through kChainNodes nodes, Relu and Add (of a constant) in turn.
engine::Model ChainModel() {
  engine::Model m;
  m.opsets[""] = 17;
  m.graph.name = "calibrate_chain";
  m.graph.inputs = {Info("x", {1, 16})};
  m.graph.outputs = {Info("y", {1, 16})};
  m.graph.initializers["c"] = RandomFloats({1, 16}, 3);
  std::string prev = "x";
  for (int i = 0; i < kChainNodes; ++i) {
    std::string out = i + 1 == kChainNodes ? "y" : "v" + std::to_string(i);
    if (i % 2 == 0) {
      m.graph.nodes.push_back(MakeNode("relu" + std::to_string(i), "Relu", {prev}, out));
    } else {
      m.graph.nodes.push_back(MakeNode("add" + std::to_string(i), "Add", {prev, "c"}, out));
    }
    prev = out;
  }
  return m;
}

// Seconds of one run of `session` on `inputs`.
Result<double> TimeRun(engine::Session& session, const std::map<std::string, Tensor>& inputs) {
  const Clock::time_point t0 = Clock::now();
  IA_RETURN_IF_ERROR(session.Run(inputs).status());
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// FLOP/s of the GEMM session at `precision`, or the error that kept it from being made or run.
Result<double> GemmRate(int threads, engine::Precision precision, double seconds) {
  IA_ASSIGN_OR_RETURN(auto session, engine::Session::Create(
                                        GemmModel(), {.threads = threads, .precision = precision}));
  std::map<std::string, Tensor> inputs = {{"x", RandomFloats({kGemmSize, kGemmSize}, 1)}};
  IA_RETURN_IF_ERROR(session->Run(inputs).status());  // warm-up: packing, caches, pages
  IA_ASSIGN_OR_RETURN(double t, MedianSeconds(seconds, [&] { return TimeRun(*session, inputs); }));
  return 2.0 * kGemmSize * kGemmSize * kGemmSize / t;
}

// Bytes per second of the STREAM triad a = b + s c over doubles, on a pool of `threads`.
Result<double> TriadBandwidth(int threads, int64_t last_level_cache, double seconds) {
  const int64_t min_total = int64_t{256} << 20;
  const int64_t per_array = std::max(4 * last_level_cache, min_total / 3);
  const int64_t n = per_array / static_cast<int64_t>(sizeof(double));
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  ThreadPool pool(threads);
  // Touched first by the threads that stream them (pages land on their NUMA nodes).
  ParallelFor(&pool, n, cost::kCheap, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      a[i] = 0;
      b[i] = 1;
      c[i] = 2;
    }
  });
  const double s = 3.0;
  auto triad = [&]() -> Result<double> {
    const Clock::time_point t0 = Clock::now();
    ParallelFor(&pool, n, cost::kCheap, [&](int64_t begin, int64_t end) {
      double* pa = a.get();
      const double* pb = b.get();
      const double* pc = c.get();
      for (int64_t i = begin; i < end; ++i) pa[i] = pb[i] + s * pc[i];
    });
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  IA_RETURN_IF_ERROR(triad().status());  // warm-up
  IA_ASSIGN_OR_RETURN(double t, MedianSeconds(seconds, triad));
  if (a[n / 2] != 7.0) return Status::Internal("STREAM triad computed a wrong value");
  return 3.0 * sizeof(double) * static_cast<double>(n) / t;  // 2 reads and 1 write per element
}

// Seconds per node of the chain session.
Result<double> NodeOverhead(int threads, double seconds) {
  IA_ASSIGN_OR_RETURN(
      auto session, engine::Session::Create(ChainModel(), {.threads = threads, .optimize = false}));
  std::map<std::string, Tensor> inputs = {{"x", RandomFloats({1, 16}, 4)}};
  IA_RETURN_IF_ERROR(session->Run(inputs).status());
  IA_ASSIGN_OR_RETURN(double t, MedianSeconds(seconds, [&] { return TimeRun(*session, inputs); }));
  return t / kChainNodes;
}

std::string UtcDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

int64_t LastLevelCache(const json& cpu) {
  if (!cpu.contains("caches") || !cpu["caches"].is_object()) return 32 << 20;
  for (const char* key : {"l3_bytes", "l2_bytes"}) {
    if (cpu["caches"].contains(key) && cpu["caches"][key].is_number()) {
      return cpu["caches"][key].get<int64_t>();
    }
  }
  return 32 << 20;
}

}  // namespace

std::vector<int> DefaultCalibrationThreads(int usable_cores) {
  std::vector<int> out;
  const int cores = std::max(1, usable_cores);
  for (int t = 1; t < cores; t *= 2) out.push_back(t);
  out.push_back(cores);
  return out;
}

Result<std::vector<hardware::DeviceProfile>> CalibrateCpu(const hardware::HardwareReport& report,
                                                          const CalibrateOptions& options) {
  if (!(options.seconds_per_test > 0)) {
    return Status::InvalidArgument("calibration wants a positive time per test, got " +
                                   std::to_string(options.seconds_per_test));
  }
  static const json kEmpty = json::object();
  const hardware::PlatformInfo* cpu_platform = report.Find("cpu");
  const json& cpu = cpu_platform ? cpu_platform->capabilities : kEmpty;
  std::vector<int> threads = options.threads;
  if (threads.empty()) {
    int usable = cpu.contains("usable_cores") && cpu["usable_cores"].is_number_integer()
                     ? cpu["usable_cores"].get<int>()
                     : ThreadPool::DefaultThreads();
    threads = DefaultCalibrationThreads(usable);
  }
  for (int t : threads) {
    if (t < 1) {
      return Status::InvalidArgument("calibration thread counts must be 1 or more, got " +
                                     std::to_string(t));
    }
  }
  const engine::Precision kPrecisions[] = {engine::Precision::kFp32, engine::Precision::kBf16,
                                           engine::Precision::kInt8};
  const int tests_per_count = 5;  // 3 GEMMs, bandwidth, node cost
  const double total = static_cast<double>(threads.size() * tests_per_count);
  int done = 0;
  auto progress = [&](const std::string& what) {
    if (options.progress) options.progress(what, done / total);
  };
  const std::string date = UtcDate();
  const int64_t llc = LastLevelCache(cpu);
  std::vector<hardware::DeviceProfile> out;
  for (int t : threads) {
    const std::string tag = "t" + std::to_string(t) + " ";
    hardware::DeviceProfile estimate = hardware::EstimateCpuProfile(report, t);
    hardware::DeviceProfile p;
    p.id = "cpu-measured-t" + std::to_string(t);
    p.platform = "cpu";
    p.name = estimate.name;
    p.threads = t;
    p.memory_bytes = estimate.memory_bytes;
    p.tdp_w = estimate.tdp_w;
    p.measured = true;
    p.source = "measured " + date + " by hw --calibrate";
    std::string skipped;
    for (engine::Precision precision : kPrecisions) {
      const std::string name = engine::PrecisionName(precision);
      progress(tag + "gemm " + name);
      auto rate = GemmRate(t, precision, options.seconds_per_test);
      ++done;
      if (!rate.ok()) {
        if (precision == engine::Precision::kFp32) {
          return rate.status().WithContext("calibration: the fp32 GEMM session");
        }
        skipped += "; " + name + " not measured: " + rate.status().message();
        progress(tag + name + " skipped: " + rate.status().message());
        continue;
      }
      if (precision == engine::Precision::kFp32) p.fp32_flops = *rate;
      if (precision == engine::Precision::kBf16) p.fp16_flops = *rate;
      if (precision == engine::Precision::kInt8) p.int8_ops = *rate;
    }
    progress(tag + "bandwidth");
    IA_ASSIGN_OR_RETURN(p.bandwidth_bytes_per_s, TriadBandwidth(t, llc, options.seconds_per_test));
    ++done;
    progress(tag + "node overhead");
    IA_ASSIGN_OR_RETURN(p.node_overhead_s, NodeOverhead(t, options.seconds_per_test));
    ++done;
    p.source += skipped;
    out.push_back(std::move(p));
  }
  if (options.progress) options.progress("done", 1.0);
  return out;
}

}  // namespace ipfs_accelerate::perf
