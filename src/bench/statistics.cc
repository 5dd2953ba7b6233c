#include "bench/statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace ipfs_accelerate::bench {
namespace {

constexpr double kOutlierThreshold = 3.5;  // FlagOutliers' default, which Summarize counts by

// The median of ascending `sorted`.
double SortedMedian(std::span<const double> sorted) { return Quantile(sorted, 0.5); }

std::vector<double> Sorted(std::span<const double> samples) {
  std::vector<double> out(samples.begin(), samples.end());
  std::sort(out.begin(), out.end());
  return out;
}

// The median absolute deviation of `samples` from `median`.
double Mad(std::span<const double> samples, double median) {
  std::vector<double> dev(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) dev[i] = std::fabs(samples[i] - median);
  std::sort(dev.begin(), dev.end());
  return SortedMedian(dev);
}

// log(m!), without std::lgamma, which may write the global `signgam` (a data race when several
// threads summarize at once): exact sums for small m, Stirling's series (error < 1e-13) above.
double LogFactorial(double m) {
  if (m < 32) {
    double sum = 0;
    for (double i = 2; i <= m; ++i) sum += std::log(i);
    return sum;
  }
  const double inv = 1 / m, inv2 = inv * inv;
  return m * std::log(m) - m + 0.5 * std::log(2 * M_PI * m) +
         inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 / 1260));
}

// The largest 1-based rank j with P(Binomial(n, 1/2) ≤ j − 1) ≤ tail, or 0 when even j = 1 fails
// (P(B ≤ 0) = 2^−n > tail). [x_(j), x_(n−j+1)] then covers the median with probability
// 1 − 2·P(B ≤ j − 1) ≥ 1 − 2·tail for any continuous distribution.
size_t MedianCiRank(size_t n, double tail) {
  if (n == 0) return 0;
  const double nd = static_cast<double>(n);
  // Terms more than 20 standard deviations (sd = √n / 2) below the mean n/2 sum to under e^−190:
  // start there, so the cost is O(√n) whatever n.
  const double skip = nd / 2 - 10 * std::sqrt(nd);
  size_t k = skip > 0 ? static_cast<size_t>(skip) : 0;
  const double log_norm = LogFactorial(nd) - nd * std::log(2.0);
  double cdf = 0;  // P(B ≤ k − 1)
  // Invariant: cdf = P(B ≤ k − 1) ≤ tail, so rank j = k would qualify. Add P(B = k) and stop
  // when P(B ≤ k) would exceed the tail: then j = k + 1 fails, and j = k is the largest.
  for (; k < n; ++k) {
    const double kd = static_cast<double>(k);
    const double pmf = std::exp(log_norm - LogFactorial(kd) - LogFactorial(nd - kd));
    if (cdf + pmf > tail) break;
    cdf += pmf;
  }
  return k;  // j = k: P(B ≤ k − 1) ≤ tail < P(B ≤ k)
}

// Whether `x` is an outlier from a sample with this median and MAD (the rule of FlagOutliers).
bool IsOutlier(double x, double median, double mad, double threshold) {
  const double dev = std::fabs(x - median);
  return mad > 0 ? 0.6745 * dev / mad > threshold : dev > 0;
}

// The standard normal upper tail, P(Z > z).
double NormalSf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

}  // namespace

double Quantile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double h = (static_cast<double>(sorted.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

SampleStats Summarize(std::span<const double> samples) {
  SampleStats s;
  if (samples.empty()) return s;
  const std::vector<double> sorted = Sorted(samples);
  const size_t n = sorted.size();
  s.count = n;
  s.min = sorted.front();
  s.max = sorted.back();
  // Two-pass mean and variance: stable for latencies that differ from each other by parts per
  // million of their value.
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  double ss = 0;
  for (double x : sorted) ss += (x - s.mean) * (x - s.mean);
  s.stddev = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0;
  s.median = SortedMedian(sorted);
  s.p90 = Quantile(sorted, 0.90);
  s.p99 = Quantile(sorted, 0.99);
  s.mad = Mad(sorted, s.median);

  const size_t j = MedianCiRank(n, 0.025);
  if (j == 0) {
    s.ci_low = s.min;
    s.ci_high = s.max;
    s.ci_valid = false;
    s.ci_rel = std::numeric_limits<double>::infinity();
  } else {
    s.ci_low = sorted[j - 1];
    s.ci_high = sorted[n - j];
    s.ci_valid = true;
    s.ci_rel = s.median == 0
                   ? std::numeric_limits<double>::infinity()
                   : std::max(s.median - s.ci_low, s.ci_high - s.median) / std::fabs(s.median);
  }

  s.outliers = static_cast<size_t>(std::count_if(sorted.begin(), sorted.end(), [&](double x) {
    return IsOutlier(x, s.median, s.mad, kOutlierThreshold);
  }));
  return s;
}

std::vector<bool> FlagOutliers(std::span<const double> samples, double threshold) {
  std::vector<bool> out(samples.size(), false);
  if (samples.empty()) return out;
  const std::vector<double> sorted = Sorted(samples);
  const double median = SortedMedian(sorted);
  const double mad = Mad(sorted, median);
  for (size_t i = 0; i < samples.size(); ++i)
    out[i] = IsOutlier(samples[i], median, mad, threshold);
  return out;
}

double MannWhitneyP(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return 1;
  const size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  // Pool the samples (value, from a?) and rank them, giving ties their average rank.
  std::vector<std::pair<double, bool>> pooled;
  pooled.reserve(n);
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  double rank_sum_a = 0;
  double tie_term = 0;  // Σ (t³ − t) over groups of t tied values
  for (size_t i = 0; i < n;) {
    size_t end = i + 1;
    while (end < n && pooled[end].first == pooled[i].first) ++end;
    const double t = static_cast<double>(end - i);
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(end)) / 2;
    for (size_t k = i; k < end; ++k)
      if (pooled[k].second) rank_sum_a += avg_rank;
    tie_term += t * t * t - t;
    i = end;
  }
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  const double nd = static_cast<double>(n);
  const double u1 = rank_sum_a - d1 * (d1 + 1) / 2;
  const double mu = d1 * d2 / 2;
  const double var = d1 * d2 / 12 * ((nd + 1) - tie_term / (nd * (nd - 1)));
  if (!(var > 0)) return 1;  // every value equal: no evidence of any difference
  const double z = std::max(0.0, std::fabs(u1 - mu) - 0.5) / std::sqrt(var);
  return std::min(1.0, 2 * NormalSf(z));
}

std::vector<Comparison> CompareSamples(const std::vector<std::span<const double>>& before,
                                       const std::vector<std::span<const double>>& after,
                                       const CompareOptions& options) {
  const size_t m = std::min(before.size(), after.size());
  std::vector<Comparison> out(m);
  for (size_t i = 0; i < m; ++i) {
    Comparison& c = out[i];
    c.median_before = SortedMedian(Sorted(before[i]));
    c.median_after = SortedMedian(Sorted(after[i]));
    c.change = c.median_before > 0 ? c.median_after / c.median_before - 1 : 0;
    c.p_value = MannWhitneyP(before[i], after[i]);
  }
  // Holm–Bonferroni: the k-th smallest p (0-based) is compared with alpha / (m − k); the first
  // that fails stops the procedure. The adjusted p is the running max of (m − k)·p_(k).
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t l, size_t r) { return out[l].p_value < out[r].p_value; });
  double running = 0;
  for (size_t k = 0; k < m; ++k) {
    Comparison& c = out[order[k]];
    running = std::max(running, std::min(1.0, static_cast<double>(m - k) * c.p_value));
    c.p_adjusted = running;
    c.significant = c.p_adjusted < options.alpha;
    c.regression = c.significant && c.change > 0 && c.change >= options.min_change;
    c.improvement = c.significant && c.change < 0 && -c.change >= options.min_change;
  }
  return out;
}

std::string DescribeCompareTest(const CompareOptions& options) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "Mann–Whitney U (two-sided, normal approximation with tie and continuity "
                "corrections), Holm–Bonferroni α=%g across configurations; changes of the median "
                "under %g%% are not reported",
                options.alpha, options.min_change * 100);
  return buf;
}

}  // namespace ipfs_accelerate::bench
