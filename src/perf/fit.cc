#include "perf/fit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace ipfs_accelerate::perf {
namespace {

// Solves the n x n system a x = b (a symmetric positive definite after the ridge) by Gaussian
// elimination with partial pivoting; a and b are overwritten.
std::vector<double> Solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r) {
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    }
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    double d = a[col][col];
    if (std::abs(d) < 1e-300) continue;
    for (size_t r = col + 1; r < n; ++r) {
      double f = a[r][col] / d;
      if (f == 0) continue;
      for (size_t k = col; k < n; ++k) a[r][k] -= f * a[col][k];
      b[r] -= f * b[col];
    }
  }
  std::vector<double> x(n, 0);
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= a[i][k] * x[k];
    x[i] = std::abs(a[i][i]) < 1e-300 ? 0 : s / a[i][i];
  }
  return x;
}

// The latency parameters, in a fixed order: a compute and a memory coefficient per class, the
// depth penalty,
// per-node and the per-run cost.
struct Layout {
  size_t classes = AllOpClasses().size();
  size_t Compute(OpClass k) const { return static_cast<size_t>(k); }
  size_t Memory(OpClass k) const { return classes + static_cast<size_t>(k); }
  size_t Depth() const { return 2 * classes; }
  size_t Node() const { return 2 * classes + 1; }
  size_t NodeThread() const { return 2 * classes + 2; }
  size_t Run() const { return 2 * classes + 3; }
  size_t Size() const { return 2 * classes + 4; }
};

std::vector<double> Pack(const Coefficients& c) {
  Layout l;
  std::vector<double> v(l.Size(), 1);
  for (OpClass k : AllOpClasses()) {
    v[l.Compute(k)] = c.compute.at(k);
    v[l.Memory(k)] = c.memory.at(k);
  }
  v[l.Depth()] = c.depth_penalty;
  v[l.Node()] = c.per_node_s;
  v[l.NodeThread()] = c.per_node_thread_s;
  v[l.Run()] = c.per_run_s;
  return v;
}

void Unpack(const std::vector<double>& v, Coefficients& c) {
  Layout l;
  for (OpClass k : AllOpClasses()) {
    c.compute[k] = v[l.Compute(k)];
    c.memory[k] = v[l.Memory(k)];
  }
  c.depth_penalty = v[l.Depth()];
  c.per_node_s = v[l.Node()];
  c.per_node_thread_s = v[l.NodeThread()];
  c.per_run_s = v[l.Run()];
}

// How hard the fit pulls toward the priors: chosen by leave-one-model-out on this machine's runs
// of six models (docs/BENCHMARKS.md), where 0.005-0.1 give 10-14% for latency and 1-10 give
// 10.3-10.5% for memory.
constexpr double kLatencyRidge = 0.02;
constexpr double kMemoryRidge = 3;

// One equation of the fit: features x (seconds at peak, counts), the measured seconds y, and
// the scale its error is relative to (the whole run's time).
struct Equation {
  std::vector<double> x;
  double y = 0, scale = 1;
};

// Ridged least squares on scaled errors with the parameters scaled by the prior: minimises
// sum_i ((x_i . (prior * phi) - y_i) / scale_i)^2 + lambda * sum_j (phi_j - 1)^2 over
// phi >= floor.
std::vector<double> RidgeFit(const std::vector<Equation>& eqs, const std::vector<double>& prior,
                             double lambda) {
  const size_t n = prior.size();
  constexpr double kFloor = 0.05;  // no coefficient below 5% of its prior (or negative)
  std::vector<bool> fixed(n, false);
  std::vector<double> phi(n, 1);
  for (int round = 0; round < 8; ++round) {
    std::vector<std::vector<double>> ata(n, std::vector<double>(n, 0));
    std::vector<double> atb(n, 0);
    for (const Equation& e : eqs) {
      std::vector<double> a(n);
      double rhs = e.y / e.scale;
      for (size_t j = 0; j < n; ++j) {
        a[j] = e.x[j] * prior[j] / e.scale;
        if (fixed[j]) rhs -= a[j] * kFloor, a[j] = 0;
      }
      for (size_t j = 0; j < n; ++j) {
        if (a[j] == 0) continue;
        atb[j] += a[j] * rhs;
        for (size_t k = 0; k < n; ++k) ata[j][k] += a[j] * a[k];
      }
    }
    for (size_t j = 0; j < n; ++j) {
      ata[j][j] += lambda;
      atb[j] += lambda * (fixed[j] ? 0 : 1);
    }
    phi = Solve(ata, atb);
    bool changed = false;
    for (size_t j = 0; j < n; ++j) {
      if (fixed[j]) {
        phi[j] = kFloor;
      } else if (phi[j] < kFloor) {
        fixed[j] = true, changed = true;
      }
    }
    if (!changed) break;
  }
  std::vector<double> out(n);
  for (size_t j = 0; j < n; ++j) out[j] = prior[j] * std::max(phi[j], kFloor);
  return out;
}

// One observation's equations under coefficients `c` (each node's terms go to the bound that
// wins under c): the whole run against its median, and each node the run's profile timed
// against its time, all relative to the run's time. The per-node equations tell the classes
// apart, which whole runs of a few models cannot.
std::vector<Equation> Equations(const Observation& o, const Coefficients& c) {
  Layout l;
  const double run = std::max(o.latency_s, 1e-7);
  Equation whole{std::vector<double>(l.Size(), 0), run, run};
  std::vector<Equation> eqs(1);
  std::vector<NodeTerms> terms = TermsOf(o.cost, o.device);
  for (size_t i = 0; i < terms.size(); ++i) {
    const NodeTerms& t = terms[i];
    bool compute = false;
    NodeSeconds(t, c, o.device.threads, &compute);
    std::vector<double> row(l.Size(), 0);
    if (compute) {
      row[l.Compute(t.op_class)] += t.compute_s;
      row[l.Depth()] += t.compute_small_s;
    } else {
      row[l.Memory(t.op_class)] += t.memory_s;
    }
    row[l.Node()] += 1;
    if (IsComputeClass(t.op_class)) row[l.NodeThread()] += std::max(0, o.device.threads - 1);
    for (size_t j = 0; j < row.size(); ++j) whole.x[j] += row[j];
    auto measured = o.node_s.find(o.cost.nodes[i].name);
    if (measured != o.node_s.end()) eqs.push_back(Equation{std::move(row), measured->second, run});
  }
  whole.x[l.Run()] = 1;
  eqs[0] = std::move(whole);
  return eqs;
}

double ActivationBytes(const GraphCost& c) {
  return c.arena_bytes + c.input_bytes + c.output_bytes;
}

}  // namespace

Result<Coefficients> FitCoefficients(const std::vector<Observation>& obs,
                                     const Coefficients& prior) {
  if (obs.empty()) return Status::InvalidArgument("no measured runs to fit the model to");
  Coefficients c = prior;
  const std::vector<double> prior_v = Pack(prior);
  // The ridge: weak against many runs, but enough to keep classes the runs do not show at
  // their priors.
  const double lambda = kLatencyRidge;
  for (int round = 0; round < 4; ++round) {
    std::vector<Equation> eqs;
    for (const Observation& o : obs) {
      for (Equation& e : Equations(o, c)) eqs.push_back(std::move(e));
    }
    Unpack(RidgeFit(eqs, prior_v, lambda), c);
  }
  // Memory: base + weights x a + convolutions' weights x b + activations x c, on the runs that
  // measured it (a zero prior stays zero: the fit scales the priors); pulled harder
  // toward the priors than the latency (four figures from a few models' runs).
  std::vector<Equation> mem;
  for (const Observation& o : obs) {
    if (o.peak_rss_bytes <= 0) continue;
    mem.push_back({{1, o.cost.weight_bytes, o.cost.conv_weight_bytes, ActivationBytes(o.cost)},
                   o.peak_rss_bytes,
                   o.peak_rss_bytes});
  }
  if (!mem.empty()) {
    std::vector<double> mp = {prior.memory_base_bytes, prior.weight_factor,
                              prior.conv_weight_factor, prior.activation_factor};
    std::vector<double> v = RidgeFit(mem, mp, kMemoryRidge);
    c.memory_base_bytes = v[0], c.weight_factor = v[1], c.conv_weight_factor = v[2];
    c.activation_factor = v[3];
  }
  return c;
}

namespace {

// The errors over `rows`, which it keeps.
Validation Summarize(std::vector<ValidationRow> rows) {
  Validation v;
  double lat_abs = 0, lat_sq = 0, mem_abs = 0, mem_sq = 0;
  int64_t mem_n = 0;
  for (const ValidationRow& r : rows) {
    double e = r.predicted_s / r.measured_s - 1;
    lat_abs += std::abs(e), lat_sq += e * e;
    if (r.measured_bytes > 0) {
      double me = r.predicted_bytes / r.measured_bytes - 1;
      mem_abs += std::abs(me), mem_sq += me * me, ++mem_n;
    }
  }
  double n = std::max<double>(1, static_cast<double>(rows.size()));
  v.latency_mape = lat_abs / n;
  v.latency_error_rms = std::sqrt(lat_sq / n);
  if (mem_n > 0) {
    v.memory_mape = mem_abs / static_cast<double>(mem_n);
    v.memory_error_rms = std::sqrt(mem_sq / static_cast<double>(mem_n));
  }
  v.rows = std::move(rows);
  return v;
}

}  // namespace

Validation Compare(const std::vector<Observation>& obs, const Coefficients& c) {
  Calibration cal;
  cal.coefficients = c;
  std::vector<ValidationRow> rows;
  for (const Observation& o : obs) {
    Prediction p = Predict(o.cost, o.batch, o.device, &cal);
    rows.push_back({o.model, o.label, p.latency_s, o.latency_s, p.memory_bytes, o.peak_rss_bytes});
  }
  return Summarize(std::move(rows));
}

Result<Validation> LeaveOneModelOut(const std::vector<Observation>& obs,
                                    const Coefficients& prior) {
  std::set<std::string> models;
  for (const Observation& o : obs) models.insert(o.model);
  if (models.size() < 2) {
    return Status::InvalidArgument(
        "leaving one model out needs runs of at least two models; bench more models first");
  }
  std::vector<ValidationRow> rows;
  for (const std::string& m : models) {
    std::vector<Observation> train, test;
    for (const Observation& o : obs) (o.model == m ? test : train).push_back(o);
    IA_ASSIGN_OR_RETURN(Coefficients c, FitCoefficients(train, prior));
    for (ValidationRow& r : Compare(test, c).rows) rows.push_back(std::move(r));
  }
  return Summarize(std::move(rows));
}

}  // namespace ipfs_accelerate::perf
