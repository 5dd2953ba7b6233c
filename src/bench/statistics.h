// Statistics of latency samples: robust summaries, the median's confidence interval, outliers by
// median absolute deviation, and a significance test between two sets of samples.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace ipfs_accelerate::bench {

struct SampleStats {
  size_t count = 0;
  double min = 0, max = 0, mean = 0, stddev = 0;  // stddev: sample (n-1) standard deviation
  double median = 0, p90 = 0, p99 = 0;            // quantiles by linear interpolation
  double mad = 0;  // median absolute deviation from the median (unscaled)
  // Distribution-free 95% confidence interval of the median from order statistics (binomial):
  // its coverage is at least 95% for any continuous distribution. Equal to [min, max] and
  // ci_valid false when there are too few samples (n < 6) for any interval to reach 95%.
  double ci_low = 0, ci_high = 0;
  bool ci_valid = false;
  // The interval's half-width relative to the median: max(median - ci_low, ci_high - median) /
  // median; infinity when !ci_valid or the median is 0.
  double ci_rel = 0;
  size_t outliers = 0;  // samples FlagOutliers marks
};

// Summarizes `samples` (any order). All zero for no samples.
SampleStats Summarize(std::span<const double> samples);

// The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` by linear interpolation between order statistics
// (Hyndman–Fan type 7, as numpy's default). 0 for an empty span.
double Quantile(std::span<const double> sorted, double q);

// Marks samples whose modified z-score 0.6745·|x − median| / MAD exceeds `threshold` (Iglewicz and
// Hoaglin's rule, 3.5 by default). When MAD is 0 (over half the samples equal), marks the samples
// that differ from the median. Outliers are kept in the data, only marked.
std::vector<bool> FlagOutliers(std::span<const double> samples, double threshold = 3.5);

// The two-sided p-value of the Mann–Whitney U test (normal approximation with tie correction and
// continuity correction) that `a` and `b` come from the same distribution; 1 when either is empty.
double MannWhitneyP(std::span<const double> a, std::span<const double> b);

// How `after` compares with `before` (latencies, lower is better).
struct Comparison {
  double median_before = 0, median_after = 0;
  double change = 0;         // median_after / median_before − 1 (+0.10: 10% slower)
  double p_value = 1;        // Mann–Whitney U, two-sided, for this pair alone
  double p_adjusted = 1;     // Holm–Bonferroni adjusted across all pairs compared together
  bool significant = false;  // p_adjusted < alpha
  bool regression = false;   // significant, slower, and change ≥ min_change
  bool improvement = false;  // significant, faster, and −change ≥ min_change
};

struct CompareOptions {
  double alpha = 0.01;       // family-wise significance level (Holm across configurations)
  double min_change = 0.03;  // smaller median changes are never reported, however significant
};

// Compares each pair (before[i], after[i]); significance is decided with the Holm–Bonferroni
// step-down procedure across all pairs, so the family-wise false alarm rate stays at alpha.
std::vector<Comparison> CompareSamples(const std::vector<std::span<const double>>& before,
                                       const std::vector<std::span<const double>>& after,
                                       const CompareOptions& options = {});

// A name for the test, for reports: "Mann–Whitney U (two-sided), Holm–Bonferroni α=0.01, ..."
std::string DescribeCompareTest(const CompareOptions& options);

}  // namespace ipfs_accelerate::bench
