#include "perf/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ipfs_accelerate::perf {
namespace {

// Typical fractions of the peak, before any fit. CPUs: oneDNN's GEMM reaches 70-90% of the FMA
// peak on large products and convolutions ~50-60%; depthwise convolutions and small ops are
// bound by memory and dispatch. GPUs and NPUs: fp32 products near 60% of the datasheet's
// (non-tensor-core) peak, memory-bound kernels ~70% of the bandwidth. Browsers and NPUs behind
// a framework reach less. These are starting points: `plan --fit` replaces them with what this
// machine measured.
struct Prior {
  double matmul, conv, depthwise, attention, recurrent, other_compute, memory, data_movement;
  double per_node_s, per_node_thread_s, per_run_s, memory_base_bytes;
};
Prior PriorFor(const std::string& platform) {
  if (platform == "cpu" || platform == "openvino") {
    return {0.75, 0.55, 0.08, 0.35, 0.25, 0.1, 0.5, 0.3, 2e-6, 2e-6, 5e-6, 80.0 * (1 << 20)};
  }
  if (platform == "cuda" || platform == "rocm") {
    return {0.6, 0.5, 0.15, 0.4, 0.2, 0.1, 0.7, 0.5, 5e-6, 0, 50e-6, 400.0 * (1 << 20)};
  }
  // mps, qualcomm, webgpu, webnn: a framework between us and the device.
  return {0.4, 0.35, 0.1, 0.25, 0.15, 0.05, 0.6, 0.4, 20e-6, 0, 200e-6, 200.0 * (1 << 20)};
}

const char* PrecisionKey(engine::Precision p) {
  switch (p) {
    case engine::Precision::kBf16:
      return "bf16";
    case engine::Precision::kInt8:
      return "int8";
    case engine::Precision::kFp32:
      break;
  }
  return "fp32";
}

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * v);
  return buf;
}

}  // namespace

Coefficients PriorCoefficients(const hardware::DeviceProfile& profile) {
  Prior p = PriorFor(profile.platform);
  Coefficients c;
  for (OpClass k : AllOpClasses()) {
    double e = p.other_compute;
    switch (k) {
      case OpClass::kMatMul:
        e = p.matmul;
        break;
      case OpClass::kConv:
        e = p.conv;
        break;
      case OpClass::kDepthwiseConv:
        e = p.depthwise;
        break;
      case OpClass::kAttention:
        e = p.attention;
        break;
      case OpClass::kRecurrent:
        e = p.recurrent;
        break;
      default:
        break;
    }
    c.compute[k] = 1 / e;
    c.memory[k] = 1 / (k == OpClass::kDataMovement ? p.data_movement : p.memory);
  }
  // A product of depth 16 runs at half the rate of a deep one (the fit finds the real cost).
  c.depth_penalty = 16 / p.matmul;
  c.per_node_s = profile.node_overhead_s > 0 ? profile.node_overhead_s : p.per_node_s;
  c.per_node_thread_s = p.per_node_thread_s;
  c.per_run_s = p.per_run_s;
  c.memory_base_bytes = p.memory_base_bytes;
  // Our CPU backend keeps a convolution's weights reordered beside the originals.
  c.conv_weight_factor = profile.platform == "cpu" ? 1 : 0;
  return c;
}

std::vector<NodeTerms> TermsOf(const GraphCost& cost, const hardware::DeviceProfile& device) {
  const double fp32 = std::max(device.fp32_flops, 1.0);
  double lowered_peak = device.PeakOps(PrecisionKey(cost.precision));
  if (lowered_peak <= 0) lowered_peak = fp32;  // the device has no such unit: fp32 arithmetic
  const double bandwidth = std::max(device.bandwidth_bytes_per_s, 1.0);
  std::vector<NodeTerms> terms;
  terms.reserve(cost.nodes.size());
  for (const NodeCost& n : cost.nodes) {
    NodeTerms t;
    t.op_class = n.op_class;
    t.compute_s = n.flops / (n.lowered ? lowered_peak : fp32);
    t.compute_small_s = n.depth > 0 ? t.compute_s / n.depth : 0;
    t.memory_s = n.Bytes() / bandwidth;
    terms.push_back(t);
  }
  return terms;
}

double NodeSeconds(const NodeTerms& t, const Coefficients& c, int threads, bool* compute_bound) {
  auto coef = [](const std::map<OpClass, double>& m, OpClass k) {
    auto it = m.find(k);
    return it == m.end() ? 1.0 : it->second;
  };
  double compute = t.compute_s * coef(c.compute, t.op_class) + t.compute_small_s * c.depth_penalty;
  double memory = t.memory_s * coef(c.memory, t.op_class);
  if (compute_bound) *compute_bound = compute >= memory;
  // The products and convolutions run as oneDNN primitives, each a parallel region that wakes
  // the other threads whatever its size; the other kernels stay on one thread when small.
  double waking = IsComputeClass(t.op_class) ? c.per_node_thread_s * std::max(0, threads - 1) : 0;
  return std::max(compute, memory) + c.per_node_s + waking;
}

Prediction Predict(const GraphCost& cost, int64_t batch, const hardware::DeviceProfile& device,
                   const Calibration* calibration) {
  Prediction p;
  Coefficients c = calibration ? calibration->coefficients : PriorCoefficients(device);
  std::vector<NodeTerms> terms = TermsOf(cost, device);
  double total = c.per_run_s, compute_bound = 0, busy = 0;
  std::vector<NodeTime> times;
  for (size_t i = 0; i < terms.size(); ++i) {
    bool bound = false;
    double s = NodeSeconds(terms[i], c, device.threads, &bound);
    total += s;
    if (bound) compute_bound += s;
    busy += terms[i].compute_s;
    p.seconds_by_class[terms[i].op_class] += s;
    times.push_back({cost.nodes[i].name, cost.nodes[i].op_type, terms[i].op_class, s, bound});
  }
  std::sort(times.begin(), times.end(),
            [](const NodeTime& a, const NodeTime& b) { return a.seconds > b.seconds; });
  times.resize(std::min<size_t>(times.size(), 5));
  p.top_nodes = std::move(times);
  p.latency_s = total;
  p.throughput = total > 0 ? static_cast<double>(batch) / total : 0;
  p.compute_bound_share = total > 0 ? compute_bound / total : 0;
  p.utilization = total > 0 ? std::min(1.0, busy / total) : 0;
  // Power: a device idles near 30% of its TDP and draws the rest in proportion to how busy its
  // arithmetic units are (a rough rule; no power was measured here).
  p.power_w = device.tdp_w * (0.3 + 0.7 * p.utilization);
  p.memory_bytes = c.memory_base_bytes + cost.weight_bytes * c.weight_factor +
                   cost.conv_weight_bytes * c.conv_weight_factor +
                   (cost.arena_bytes + cost.input_bytes + cost.output_bytes) * c.activation_factor;
  double lat_spread, mem_spread;
  if (calibration) {
    p.calibrated = true;
    lat_spread = std::max(0.05, 2 * calibration->latency_error_rms);
    mem_spread = std::max(0.03, 2 * calibration->memory_error_rms);
    p.basis = "fitted on " + std::to_string(calibration->models.size()) + " models, " +
              std::to_string(calibration->observations) + " runs (leave-one-model-out error " +
              Percent(calibration->latency_mape) + " latency, " +
              Percent(calibration->memory_mape) + " memory)";
  } else {
    lat_spread = 1.0;  // within a factor of two, at best: nothing measured backs it
    mem_spread = 0.25;
    p.basis = std::string(device.measured ? "measured peaks" : "datasheet") +
              " and typical efficiencies, not fitted to runs on this device";
  }
  p.latency_low_s = p.latency_s / (1 + lat_spread);
  p.latency_high_s = p.latency_s * (1 + lat_spread);
  p.memory_low_bytes = p.memory_bytes / (1 + mem_spread);
  p.memory_high_bytes = p.memory_bytes * (1 + mem_spread);
  return p;
}

nlohmann::json ToJson(const Prediction& p) {
  nlohmann::json top = nlohmann::json::array();
  for (const NodeTime& n : p.top_nodes) {
    top.push_back({{"name", n.name},
                   {"op_type", n.op_type},
                   {"seconds", n.seconds},
                   {"compute_bound", n.compute_bound}});
  }
  nlohmann::json classes;
  for (const auto& [k, v] : p.seconds_by_class) classes[ToString(k)] = v;
  return {{"latency_s", p.latency_s},
          {"latency_interval_s", {p.latency_low_s, p.latency_high_s}},
          {"throughput", p.throughput},
          {"memory_bytes", p.memory_bytes},
          {"memory_interval_bytes", {p.memory_low_bytes, p.memory_high_bytes}},
          {"power_w", p.power_w},
          {"utilization", p.utilization},
          {"compute_bound_share", p.compute_bound_share},
          {"seconds_by_class", classes},
          {"top_nodes", top},
          {"calibrated", p.calibrated},
          {"basis", p.basis}};
}

nlohmann::json ToJson(const Calibration& c) {
  nlohmann::json compute, memory;
  for (const auto& [k, v] : c.coefficients.compute) compute[ToString(k)] = v;
  for (const auto& [k, v] : c.coefficients.memory) memory[ToString(k)] = v;
  return {{"fingerprint", c.fingerprint},
          {"fitted_at", c.fitted_at},
          {"observations", c.observations},
          {"models", c.models},
          {"latency_error_rms", c.latency_error_rms},
          {"memory_error_rms", c.memory_error_rms},
          {"latency_mape", c.latency_mape},
          {"memory_mape", c.memory_mape},
          {"coefficients",
           {{"compute", compute},
            {"depth_penalty", c.coefficients.depth_penalty},
            {"memory", memory},
            {"per_node_s", c.coefficients.per_node_s},
            {"per_node_thread_s", c.coefficients.per_node_thread_s},
            {"per_run_s", c.coefficients.per_run_s},
            {"memory_base_bytes", c.coefficients.memory_base_bytes},
            {"weight_factor", c.coefficients.weight_factor},
            {"conv_weight_factor", c.coefficients.conv_weight_factor},
            {"activation_factor", c.coefficients.activation_factor}}}};
}

Result<Calibration> CalibrationFromJson(const nlohmann::json& j) {
  Calibration c;
  try {
    c.fingerprint = j.at("fingerprint").get<std::string>();
    c.fitted_at = j.at("fitted_at").get<std::string>();
    c.observations = j.at("observations").get<int64_t>();
    c.models = j.at("models").get<std::vector<std::string>>();
    c.latency_error_rms = j.at("latency_error_rms").get<double>();
    c.memory_error_rms = j.at("memory_error_rms").get<double>();
    c.latency_mape = j.at("latency_mape").get<double>();
    c.memory_mape = j.at("memory_mape").get<double>();
    const nlohmann::json& k = j.at("coefficients");
    for (const auto& [name, v] : k.at("compute").items()) {
      IA_ASSIGN_OR_RETURN(OpClass oc, ParseOpClass(name));
      c.coefficients.compute[oc] = v.get<double>();
    }
    for (const auto& [name, v] : k.at("memory").items()) {
      IA_ASSIGN_OR_RETURN(OpClass oc, ParseOpClass(name));
      c.coefficients.memory[oc] = v.get<double>();
    }
    c.coefficients.depth_penalty = k.at("depth_penalty").get<double>();
    c.coefficients.per_node_s = k.at("per_node_s").get<double>();
    c.coefficients.per_node_thread_s = k.at("per_node_thread_s").get<double>();
    c.coefficients.per_run_s = k.at("per_run_s").get<double>();
    c.coefficients.memory_base_bytes = k.at("memory_base_bytes").get<double>();
    c.coefficients.weight_factor = k.at("weight_factor").get<double>();
    c.coefficients.conv_weight_factor = k.at("conv_weight_factor").get<double>();
    c.coefficients.activation_factor = k.at("activation_factor").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("calibration: ") + e.what() +
                                   " (refit with `ipfs-accelerate plan --fit`)");
  }
  return c;
}

}  // namespace ipfs_accelerate::perf
