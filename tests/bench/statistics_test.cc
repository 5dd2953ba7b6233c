// Statistics of latency samples: quantiles, summaries, the median's confidence interval (its
// coverage measured on known distributions), the outlier rule and the Mann–Whitney test.
#include "bench/statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "bench_random.h"

namespace ipfs_accelerate::bench {
namespace {

using test_random::Rng;

TEST(StatisticsTest, QuantileMatchesNumpyType7) {
  // Reference values: numpy.quantile (default method "linear", Hyndman–Fan type 7).
  const std::vector<double> x = {1.0, 1.5, 3.0, 4.0};
  EXPECT_DOUBLE_EQ(Quantile(x, 0), 1.0);
  EXPECT_DOUBLE_EQ(Quantile(x, 0.1), 1.15);
  EXPECT_DOUBLE_EQ(Quantile(x, 0.5), 2.25);
  EXPECT_DOUBLE_EQ(Quantile(x, 0.9), 3.7);
  EXPECT_DOUBLE_EQ(Quantile(x, 1), 4.0);
  std::vector<double> ten(10);
  std::iota(ten.begin(), ten.end(), 1.0);
  EXPECT_DOUBLE_EQ(Quantile(ten, 0.25), 3.25);
  EXPECT_DOUBLE_EQ(Quantile(ten, 0.5), 5.5);
  EXPECT_DOUBLE_EQ(Quantile(ten, 0.9), 9.1);
  EXPECT_DOUBLE_EQ(Quantile(ten, 0.99), 9.91);
  const std::vector<double> one = {7};
  EXPECT_DOUBLE_EQ(Quantile(one, 0.3), 7);
  EXPECT_EQ(Quantile({}, 0.5), 0);
}

TEST(StatisticsTest, SummarizeSmallKnownSet) {
  // numpy: median 4.5, percentile 90 → 7.6, 99 → 8.86, std(ddof=1) → 2.138089935299395.
  const std::vector<double> x = {9, 4, 2, 5, 4, 7, 4, 5};
  const SampleStats s = Summarize(x);
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.min, 2);
  EXPECT_EQ(s.max, 9);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_NEAR(s.stddev, 2.138089935299395, 1e-12);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_NEAR(s.p90, 7.6, 1e-12);
  EXPECT_NEAR(s.p99, 8.86, 1e-12);
  EXPECT_DOUBLE_EQ(s.mad, 0.5);  // |x − 4.5|: 0.5 ×5, 2.5, 2.5, 4.5
  // n = 8: P(B ≤ 0) = 1/256 ≤ 0.025 < P(B ≤ 1) = 9/256, so the interval is [x_(1), x_(8)].
  EXPECT_TRUE(s.ci_valid);
  EXPECT_EQ(s.ci_low, 2);
  EXPECT_EQ(s.ci_high, 9);
  EXPECT_DOUBLE_EQ(s.ci_rel, 1.0);  // max(4.5 − 2, 9 − 4.5) / 4.5
  EXPECT_EQ(s.outliers, 1u);        // 9: 0.6745 · 4.5 / 0.5 = 6.07 > 3.5; 2 and 7: 3.37
}

TEST(StatisticsTest, SummarizeEmptyAndTiny) {
  const SampleStats empty = Summarize({});
  EXPECT_EQ(empty.count, 0u);
  EXPECT_FALSE(empty.ci_valid);
  EXPECT_EQ(empty.median, 0);
  for (size_t n = 1; n < 6; ++n) {
    std::vector<double> x(n);
    std::iota(x.begin(), x.end(), 10.0);
    const SampleStats s = Summarize(x);
    EXPECT_FALSE(s.ci_valid) << n;
    EXPECT_EQ(s.ci_low, s.min) << n;
    EXPECT_EQ(s.ci_high, s.max) << n;
    EXPECT_TRUE(std::isinf(s.ci_rel)) << n;
  }
  EXPECT_EQ(Summarize(std::vector<double>{3}).stddev, 0);
  std::vector<double> six = {6, 1, 5, 2, 4, 3};
  const SampleStats s6 = Summarize(six);
  EXPECT_TRUE(s6.ci_valid);  // P(B ≤ 0) = 1/64 ≤ 0.025
  EXPECT_EQ(s6.ci_low, 1);
  EXPECT_EQ(s6.ci_high, 6);
}

TEST(StatisticsTest, MedianIntervalRanksAreExactForLargeN) {
  // j = the largest rank with P(Binomial(n, 1/2) ≤ j − 1) ≤ 0.025, computed in exact integer
  // arithmetic (Σ C(n, k) · 40 ≤ 2^n) with Python big integers.
  const std::pair<size_t, size_t> kRanks[] = {{7, 1},      {10, 2},       {20, 6},
                                              {30, 10},    {100, 40},     {200, 86},
                                              {1000, 469}, {10000, 4902}, {100000, 49690}};
  Rng rng(7);
  for (auto [n, j] : kRanks) {
    std::vector<double> x(n);
    std::iota(x.begin(), x.end(), 1.0);  // x_(i) = i
    std::shuffle(x.begin(), x.end(), rng.engine());
    const SampleStats s = Summarize(x);
    ASSERT_TRUE(s.ci_valid) << n;
    EXPECT_EQ(s.ci_low, static_cast<double>(j)) << n;
    EXPECT_EQ(s.ci_high, static_cast<double>(n - j + 1)) << n;
  }
  // Far past any table: the interval stays finite, ordered and about ±1.96·√n/2 ranks wide.
  const size_t n = 2000000;
  std::vector<double> x(n);
  std::iota(x.begin(), x.end(), 1.0);
  const SampleStats s = Summarize(x);
  ASSERT_TRUE(s.ci_valid);
  EXPECT_NEAR(s.ci_low, n / 2.0 - 1.96 * std::sqrt(n) / 2, 3);
  EXPECT_NEAR(s.ci_high, n / 2.0 + 1.96 * std::sqrt(n) / 2, 3);
}

// Coverage of the median's interval: over many samples from distributions whose median is known,
// the interval must contain it in at least 95% of them (the exact binomial interval is
// conservative, so not far more either).
TEST(StatisticsTest, MedianIntervalCoverage) {
  struct Dist {
    const char* name;
    double median;
    double (*draw)(Rng&);
  };
  const Dist kDists[] = {
      {"normal(10, 1)", 10, [](Rng& r) { return 10 + r.Normal(); }},
      {"lognormal(ln 5, 0.5)", 5, [](Rng& r) { return 5 * std::exp(0.5 * r.Normal()); }},
      {"exponential(mean 2)", 2 * std::log(2.0), [](Rng& r) { return r.Exponential(2); }},
      {"uniform(3, 7)", 5, [](Rng& r) { return 3 + 4 * r.Uniform(); }},
  };
  // Exact coverage 1 − 2·P(B ≤ j − 1) for each n: 97.85%, 95.72%, 96.00%.
  const size_t kSizes[] = {10, 30, 200};
  const int kTrials = 2000;
  // Order statistics are invariant under monotone transforms, so the same seed would give every
  // distribution the same coverage: each gets its own seeds.
  uint64_t seed = 1000;
  for (const Dist& d : kDists) {
    for (size_t n : kSizes) {
      Rng rng(++seed);
      int covered = 0;
      std::vector<double> x(n);
      for (int t = 0; t < kTrials; ++t) {
        for (double& v : x) v = d.draw(rng);
        const SampleStats s = Summarize(x);
        ASSERT_TRUE(s.ci_valid);
        if (s.ci_low <= d.median && d.median <= s.ci_high) ++covered;
      }
      const double coverage = static_cast<double>(covered) / kTrials;
      RecordProperty(std::string(d.name) + " n=" + std::to_string(n), std::to_string(coverage));
      EXPECT_GE(coverage, 0.94) << d.name << " n=" << n;
      EXPECT_LE(coverage, 0.995) << d.name << " n=" << n;
    }
  }
}

TEST(StatisticsTest, PlantedOutliersAreFlagged) {
  Rng rng(42);
  std::vector<double> x(200);
  for (double& v : x) v = 10 + 0.5 * rng.Normal();
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  const double median = Quantile(sorted, 0.5);
  const size_t planted[] = {3, 50, 99, 150, 199};
  for (size_t i : planted) x[i] = median + 20 * 0.5;
  const std::vector<bool> flags = FlagOutliers(x);
  for (size_t i : planted) EXPECT_TRUE(flags[i]) << i;
  const size_t flagged = std::count(flags.begin(), flags.end(), true);
  EXPECT_LE(flagged, 6u);  // the 5, and at most one unlucky clean sample
  EXPECT_EQ(Summarize(x).outliers, flagged);
}

TEST(StatisticsTest, CleanNormalSamplesAreRarelyFlagged) {
  // |z| > 3.5 has probability 0.047% for a normal distribution.
  Rng rng(43);
  size_t flagged = 0, total = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> x(200);
    for (double& v : x) v = 50 + 2 * rng.Normal();
    const std::vector<bool> flags = FlagOutliers(x);
    flagged += std::count(flags.begin(), flags.end(), true);
    total += x.size();
  }
  const double fraction = static_cast<double>(flagged) / static_cast<double>(total);
  RecordProperty("clean_flagged_fraction", std::to_string(fraction));
  EXPECT_LT(fraction, 0.005);
}

TEST(StatisticsTest, OutliersWhenMadIsZero) {
  const std::vector<double> x = {5, 5, 5, 4, 5, 5, 6, 5};
  EXPECT_EQ(Summarize(x).mad, 0);
  const std::vector<bool> flags = FlagOutliers(x);
  const std::vector<bool> expected = {false, false, false, true, false, false, true, false};
  EXPECT_EQ(flags, expected);
  const std::vector<double> same(10, 3.25);
  const std::vector<bool> none = FlagOutliers(same);
  EXPECT_EQ(std::count(none.begin(), none.end(), true), 0);
  EXPECT_TRUE(FlagOutliers({}).empty());
}

TEST(StatisticsTest, MannWhitneyMatchesScipy) {
  // Reference p-values: scipy 1.10.1, scipy.stats.mannwhitneyu(a, b, alternative='two-sided',
  // use_continuity=True, method='asymptotic').
  EXPECT_NEAR(MannWhitneyP(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6}),
              0.08085559837005224, 1e-12);
  EXPECT_NEAR(
      MannWhitneyP(std::vector<double>{1, 2, 2, 3, 5}, std::vector<double>{2, 3, 3, 4, 6, 7}),
      0.16304505585423734, 1e-12);
  EXPECT_NEAR(MannWhitneyP(std::vector<double>{10.1, 10.4, 9.8, 10.0, 10.3, 10.2, 9.9, 10.6},
                           std::vector<double>{10.9, 11.2, 10.7, 11.5, 10.8, 11.1, 10.5, 11.0}),
              0.0013593755271592322, 1e-12);
  EXPECT_NEAR(
      MannWhitneyP(std::vector<double>{1, 1, 1, 2, 2, 3}, std::vector<double>{1, 2, 2, 2, 3, 3, 3}),
      0.19807308765874454, 1e-12);
  EXPECT_EQ(MannWhitneyP(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 2, 3, 4}), 1.0);
  std::vector<double> a, b;
  for (int i = 0; i < 60; ++i) a.push_back(5 + 0.01 * ((i * 37) % 101));
  for (int i = 0; i < 45; ++i) b.push_back(5.2 + 0.01 * ((i * 53) % 97));
  EXPECT_NEAR(MannWhitneyP(a, b), 0.012547978385656881, 1e-12);
  // The test is symmetric, and degenerate input gives no evidence of a difference.
  EXPECT_NEAR(MannWhitneyP(b, a), 0.012547978385656881, 1e-12);
  EXPECT_EQ(MannWhitneyP({}, b), 1.0);
  EXPECT_EQ(MannWhitneyP(std::vector<double>(5, 2.0), std::vector<double>(7, 2.0)), 1.0);
}

TEST(StatisticsTest, HolmAdjustsAcrossPairs) {
  // Three pairs with raw p ≈ 0.0014 (8 vs 8 disjoint-ish) and two identical pairs: the adjusted
  // p of the first is 3 × p, still < 0.01; a weaker effect that passes alone fails after Holm.
  const std::vector<double> x = {10.1, 10.4, 9.8, 10.0, 10.3, 10.2, 9.9, 10.6};
  const std::vector<double> y = {10.9, 11.2, 10.7, 11.5, 10.8, 11.1, 10.5, 11.0};
  const std::vector<std::span<const double>> before = {x, x, x};
  const std::vector<std::span<const double>> after = {y, x, x};
  const std::vector<Comparison> c = CompareSamples(before, after);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_NEAR(c[0].p_value, 0.0013593755271592322, 1e-12);
  EXPECT_NEAR(c[0].p_adjusted, 3 * 0.0013593755271592322, 1e-12);
  EXPECT_TRUE(c[0].significant);
  EXPECT_TRUE(c[0].regression);
  EXPECT_NEAR(c[0].change, 10.95 / 10.15 - 1, 1e-9);  // medians of y and x
  EXPECT_FALSE(c[1].significant);
  EXPECT_FALSE(c[2].regression || c[2].improvement);
  // With eight pairs, 8 × 0.00136 > 0.01: the same effect is no longer significant.
  const std::vector<std::span<const double>> before8(8, std::span<const double>(x));
  std::vector<std::span<const double>> after8(8, std::span<const double>(x));
  after8[0] = y;
  const std::vector<Comparison> c8 = CompareSamples(before8, after8);
  EXPECT_FALSE(c8[0].significant);
  EXPECT_NEAR(c8[0].p_adjusted, 8 * 0.0013593755271592322, 1e-12);
  // Reversed, it is an improvement; below min_change it is neither.
  EXPECT_TRUE(CompareSamples({y}, {x})[0].improvement);
  EXPECT_FALSE(CompareSamples({x}, {y}, {.alpha = 0.01, .min_change = 0.2})[0].regression);
}

TEST(StatisticsTest, DescribeCompareTestNamesTheTest) {
  const std::string d = DescribeCompareTest({.alpha = 0.05, .min_change = 0.02});
  EXPECT_NE(d.find("Mann–Whitney"), std::string::npos) << d;
  EXPECT_NE(d.find("Holm"), std::string::npos) << d;
  EXPECT_NE(d.find("0.05"), std::string::npos) << d;
  EXPECT_NE(d.find("2%"), std::string::npos) << d;
}

}  // namespace
}  // namespace ipfs_accelerate::bench
