#include "perf/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/report_common.h"
#include "core/progress.h"

namespace ipfs_accelerate::perf {
namespace {

std::string Ms(double s) { return bench::FormatMs(s * 1000) + " ms"; }

std::string PerSecond(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f/s", v);
  return buf;
}

const hardware::DeviceProfile& Widest(const Target& t) {
  return *std::max_element(t.profiles.begin(), t.profiles.end(),
                           [](const auto& a, const auto& b) { return a.threads < b.threads; });
}

// The activations, inputs and outputs one more concurrent run adds (the weights are shared).
double PerRunBytes(const GraphCost& c, double activation_factor) {
  return (c.activation_peak_bytes + c.input_bytes + c.output_bytes) * activation_factor;
}

}  // namespace

std::vector<CompatRow> Compatibility(const CostTable& costs, int64_t batch,
                                     const std::vector<Target>& targets) {
  std::vector<CompatRow> rows;
  auto it = costs.find({batch, engine::Precision::kFp32});
  if (it == costs.end()) return rows;
  const GraphCost& cost = it->second;
  double fastest = 0;
  for (const Target& t : targets) {
    if (t.profiles.empty()) continue;
    const hardware::DeviceProfile& d = Widest(t);
    CompatRow r;
    r.platform = t.platform;
    r.device = d.name;
    r.available = t.available;
    r.has_backend = t.has_backend;
    r.device_memory_bytes = d.memory_bytes;
    for (const char* p : {"fp32", "bf16", "int8"}) {
      if (d.Supports(p)) r.precisions.push_back(p);
    }
    r.prediction = Predict(cost, batch, d, t.calibration);
    r.fits = d.memory_bytes <= 0 || r.prediction.memory_bytes <= d.memory_bytes;
    r.confidence = t.calibration ? "measured" : "datasheet";
    if (!r.fits) {
      r.note = "does not fit: needs " + HumanBytes(r.prediction.memory_bytes) +
               ", the device has " + HumanBytes(d.memory_bytes);
    } else if (!t.has_backend) {
      r.note = "no backend yet: predicted only";
    }
    if (!t.available) r.note += std::string(r.note.empty() ? "" : "; ") + "not on this machine";
    if (r.fits && (fastest == 0 || r.prediction.latency_s < fastest)) {
      fastest = r.prediction.latency_s;
    }
    rows.push_back(std::move(r));
  }
  for (CompatRow& r : rows) {
    if (!r.fits || r.prediction.latency_s <= 0) continue;
    // Speed relative to the fastest that fits, halved without a backend (a promise, not a run)
    // and again for a datasheet-only prediction (less certain).
    r.score = 100 * fastest / r.prediction.latency_s * (r.has_backend ? 1 : 0.5) *
              (r.confidence == "measured" ? 1 : 0.8);
  }
  return rows;
}

Result<Plan> MakePlan(const CostTable& costs, const std::vector<Target>& targets,
                      const PlanRequest& req) {
  std::vector<Candidate> all;
  std::string filtered;
  for (const Target& t : targets) {
    if (req.require_available && !t.available) {
      filtered += " " + t.platform + " (not on this machine)";
      continue;
    }
    if (req.require_backend && !t.has_backend) {
      filtered += " " + t.platform + " (no backend yet)";
      continue;
    }
    int widest = 0;
    for (const auto& d : t.profiles) widest = std::max(widest, d.threads);
    for (const auto& [key, cost] : costs) {
      const auto& [batch, precision] = key;
      for (const hardware::DeviceProfile& d : t.profiles) {
        if (!d.Supports(engine::PrecisionName(precision))) continue;
        Candidate c;
        c.platform = t.platform;
        c.device = d.name;
        c.precision = precision;
        c.batch = batch;
        c.threads = d.threads;
        c.instances = d.threads > 0 && widest > 0 ? std::max(1, widest / d.threads) : 1;
        c.prediction = Predict(cost, batch, d, t.calibration);
        c.throughput = c.prediction.throughput * c.instances;
        double factor = t.calibration ? t.calibration->coefficients.activation_factor : 1;
        c.memory_bytes = c.prediction.memory_bytes + (c.instances - 1) * PerRunBytes(cost, factor);
        c.has_backend = t.has_backend;
        c.priority = t.priority;
        double limit = req.memory_limit_bytes > 0 ? req.memory_limit_bytes : d.memory_bytes;
        if (limit > 0 && c.memory_bytes > limit) {
          c.unmet.push_back("memory: needs " + HumanBytes(c.memory_bytes) + ", the limit is " +
                            HumanBytes(limit));
        }
        if (req.latency_budget_s > 0 && c.prediction.latency_s > req.latency_budget_s) {
          c.unmet.push_back("latency: " + Ms(c.prediction.latency_s) + " over the budget of " +
                            Ms(req.latency_budget_s));
        }
        if (req.throughput_target > 0 && c.throughput < req.throughput_target) {
          c.unmet.push_back("throughput: " + PerSecond(c.throughput) + " under the target of " +
                            PerSecond(req.throughput_target));
        }
        all.push_back(std::move(c));
      }
    }
  }
  if (all.empty()) {
    return Status::NotFound("no platform to plan on:" +
                            (filtered.empty() ? std::string(" no device profiles") : filtered));
  }
  // Best first: feasible ones, then the lowest latency; within 10% of each other, the higher
  // configured priority first (priorities break near-ties and can be set to override).
  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.unmet.empty() != b.unmet.empty()) return a.unmet.empty();
    if (!a.unmet.empty() && a.unmet.size() != b.unmet.size())
      return a.unmet.size() < b.unmet.size();
    double la = a.prediction.latency_s, lb = b.prediction.latency_s;
    if (a.priority != b.priority && std::max(la, lb) <= 1.1 * std::min(la, lb)) {
      return a.priority > b.priority;
    }
    if (la != lb) return la < lb;
    return a.throughput > b.throughput;
  };
  std::stable_sort(all.begin(), all.end(), better);
  Plan plan;
  plan.chosen = all.front();
  plan.feasible = plan.chosen.unmet.empty();
  std::vector<std::string> seen = {plan.chosen.platform};
  for (const Candidate& c : all) {
    if (!c.unmet.empty() || std::find(seen.begin(), seen.end(), c.platform) != seen.end()) continue;
    seen.push_back(c.platform);
    plan.fallbacks.push_back(c);
  }
  const Candidate& ch = plan.chosen;
  if (plan.feasible) {
    plan.why = "the lowest predicted latency that meets every constraint, among " +
               std::to_string(all.size()) + " configurations";
  } else {
    plan.why = "no configuration meets every constraint; the closest misses:";
    for (const std::string& u : ch.unmet) plan.why += " " + u + ";";
    plan.why.pop_back();
  }
  // Recommendations: the best of another precision, and the batch that gives the most
  // throughput, on the chosen device.
  const Candidate* other_precision = nullptr;
  const Candidate* best_batch = nullptr;
  for (const Candidate& c : all) {
    if (c.platform != ch.platform || !c.unmet.empty()) continue;
    if (c.precision != ch.precision && c.batch == ch.batch && c.threads == ch.threads &&
        (!other_precision || c.prediction.latency_s < other_precision->prediction.latency_s)) {
      other_precision = &c;
    }
    if (c.precision == ch.precision && (!best_batch || c.throughput > best_batch->throughput)) {
      best_batch = &c;
    }
  }
  if (other_precision && other_precision->prediction.latency_s < ch.prediction.latency_s) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "precision %s: %s (%.2fx faster); check its accuracy with bench --precision",
                  engine::PrecisionName(other_precision->precision),
                  Ms(other_precision->prediction.latency_s).c_str(),
                  ch.prediction.latency_s / other_precision->prediction.latency_s);
    plan.recommendations.push_back(buf);
  }
  if (best_batch && best_batch->throughput > 1.05 * ch.throughput) {
    plan.recommendations.push_back("batch " + std::to_string(best_batch->batch) +
                                   (best_batch->threads > 0
                                        ? " with " + std::to_string(best_batch->instances) + " x " +
                                              std::to_string(best_batch->threads) + " threads"
                                        : "") +
                                   ": " + PerSecond(best_batch->throughput) + " (latency " +
                                   Ms(best_batch->prediction.latency_s) + ") for throughput");
  }
  return plan;
}

nlohmann::json ToJson(const CompatRow& r) {
  return {{"platform", r.platform},
          {"device", r.device},
          {"available", r.available},
          {"backend", r.has_backend},
          {"fits", r.fits},
          {"device_memory_bytes", r.device_memory_bytes},
          {"precisions", r.precisions},
          {"score", r.score},
          {"confidence", r.confidence},
          {"note", r.note},
          {"prediction", ToJson(r.prediction)}};
}

nlohmann::json ToJson(const Candidate& c) {
  return {{"platform", c.platform},
          {"device", c.device},
          {"precision", engine::PrecisionName(c.precision)},
          {"batch", c.batch},
          {"threads", c.threads},
          {"instances", c.instances},
          {"throughput", c.throughput},
          {"memory_bytes", c.memory_bytes},
          {"backend", c.has_backend},
          {"unmet", c.unmet},
          {"prediction", ToJson(c.prediction)}};
}

nlohmann::json ToJson(const Plan& p) {
  nlohmann::json fallbacks = nlohmann::json::array();
  for (const Candidate& c : p.fallbacks) fallbacks.push_back(ToJson(c));
  return {{"feasible", p.feasible},
          {"plan", ToJson(p.chosen)},
          {"fallbacks", fallbacks},
          {"why", p.why},
          {"recommendations", p.recommendations}};
}

}  // namespace ipfs_accelerate::perf
