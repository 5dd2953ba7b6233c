// Run comparison: a real slowdown is found, noise is not reported, and the verdicts reach the
// text and JSON that `ipfs-accelerate compare` prints.
#include "bench/compare.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../test_util.h"
#include "bench/report_common.h"
#include "bench_random.h"

namespace ipfs_accelerate::bench {
namespace {

using test_random::Rng;
using test_util::HasSubstr;

struct Config {
  std::string model;
  int64_t batch, threads;
  double median_ms;
};

// 2 models × batch 1/8 × threads 1/2: eight configurations, as a sweep would measure them.
std::vector<Config> Sweep() {
  std::vector<Config> out;
  for (const char* model : {"bert", "resnet"}) {
    for (int64_t batch : {1, 8}) {
      for (int64_t threads : {1, 2}) {
        const double base = std::string(model) == "bert" ? 4.0 : 11.0;
        out.push_back({model, batch, threads, base * static_cast<double>(batch) / threads});
      }
    }
  }
  return out;
}

ResultRecord Result(const Config& c, std::vector<double> samples) {
  ResultRecord r;
  r.model_name = c.model;
  r.model_cid = "bafkreifake" + c.model;
  r.batch = c.batch;
  r.threads = c.threads;
  r.seq = c.model == "bert" ? 128 : 0;
  r.samples_ms = std::move(samples);
  r.stats = Summarize(r.samples_ms);
  return r;
}

// A run of `configs` with lognormal latencies of spread `sigma`; configuration `slow` (if any)
// has its median multiplied by `factor`.
RunRecord MakeRun(int64_t id, const std::vector<Config>& configs, Rng& rng, size_t n, double sigma,
                  int slow = -1, double factor = 1) {
  RunRecord run;
  run.id = id;
  run.started_at = "2026-11-2" + std::to_string(id) + "T10:00:00Z";
  run.status = "complete";
  for (size_t i = 0; i < configs.size(); ++i) {
    const double m = configs[i].median_ms * (static_cast<int>(i) == slow ? factor : 1);
    run.results.push_back(Result(configs[i], rng.LogNormals(n, m, sigma)));
  }
  return run;
}

TEST(CompareTest, PlantedSlowdownIsFound) {
  const std::vector<Config> configs = Sweep();
  int found = 0, trials = 0, other_flags = 0;
  for (size_t n : {30, 100}) {
    for (double sigma : {0.03, 0.05}) {
      for (uint64_t seed = 1; seed <= 20; ++seed) {
        Rng rng(seed * 7919 + n);
        const int slow = static_cast<int>(seed % configs.size());
        const RunRecord before = MakeRun(1, configs, rng, n, sigma);
        const RunRecord after = MakeRun(2, configs, rng, n, sigma, slow, 1.10);
        const RunComparison c = CompareRuns(before, after);
        ASSERT_EQ(c.rows.size(), configs.size());
        ++trials;
        if (c.rows[slow].comparison.regression) ++found;
        EXPECT_TRUE(c.any_regression) << "seed " << seed << " n " << n << " sigma " << sigma;
        EXPECT_EQ(Verdict(c.rows[slow], c),
                  c.rows[slow].comparison.regression ? "regression" : "no significant change");
        for (size_t i = 0; i < c.rows.size(); ++i) {
          if (static_cast<int>(i) != slow &&
              (c.rows[i].comparison.regression || c.rows[i].comparison.improvement)) {
            ++other_flags;
          }
        }
      }
    }
  }
  RecordProperty("detected", std::to_string(found) + "/" + std::to_string(trials));
  RecordProperty("false_flags_elsewhere", std::to_string(other_flags));
  EXPECT_EQ(found, trials);
  // Holm holds the family-wise false alarm rate at alpha = 1% per comparison of two runs, also
  // when one configuration really changed: over these 80 families, about one false flag among the
  // unchanged configurations is expected (with these seeds: one, −3.6% at n=30, 5% spread).
  EXPECT_LE(other_flags, 3);
}

TEST(CompareTest, NoRegressionBetweenDrawsOfTheSameDistribution) {
  const std::vector<Config> configs = Sweep();
  int flagged_runs = 0, runs = 0;
  for (size_t n : {30, 100, 200}) {
    for (double sigma : {0.03, 0.05}) {
      for (uint64_t seed = 1; seed <= 20; ++seed) {
        Rng rng(seed * 104729 + n);
        const RunComparison c =
            CompareRuns(MakeRun(1, configs, rng, n, sigma), MakeRun(2, configs, rng, n, sigma));
        ++runs;
        if (c.regressions + c.improvements > 0) ++flagged_runs;
        EXPECT_FALSE(c.any_regression) << "seed " << seed << " n " << n << " sigma " << sigma;
        EXPECT_EQ(c.unchanged, configs.size());
      }
    }
  }
  RecordProperty("false_alarms", std::to_string(flagged_runs) + "/" + std::to_string(runs));
  EXPECT_EQ(flagged_runs, 0);
}

TEST(CompareTest, HolmKeepsTheFamilyWiseRateAtAlpha) {
  // Without the minimum change, "significant" alone is what Holm controls: across 1000 pairs of
  // runs with eight identical configurations each, at most about alpha = 1% of the runs may show
  // any significant difference.
  const std::vector<Config> configs = Sweep();
  int families = 0, flagged = 0;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    Rng rng(seed);
    const RunComparison c = CompareRuns(MakeRun(1, configs, rng, 50, 0.04),
                                        MakeRun(2, configs, rng, 50, 0.04), {.min_change = 0});
    ++families;
    bool any = false;
    for (const auto& row : c.rows) any = any || row.comparison.significant;
    if (any) ++flagged;
  }
  RecordProperty("family_wise_false_alarms",
                 std::to_string(flagged) + "/" + std::to_string(families));
  EXPECT_LE(flagged, 20);  // expected ≤ 10; 20 is far in the binomial tail
}

TEST(CompareTest, ImprovementIsReportedAsImprovement) {
  const std::vector<Config> configs = Sweep();
  Rng rng(5);
  const RunRecord before = MakeRun(3, configs, rng, 60, 0.04);
  const RunRecord after = MakeRun(4, configs, rng, 60, 0.04, 2, 0.85);
  const RunComparison c = CompareRuns(before, after);
  EXPECT_TRUE(c.rows[2].comparison.improvement);
  EXPECT_EQ(Verdict(c.rows[2], c), "improvement");
  EXPECT_NEAR(c.rows[2].comparison.change, -0.15, 0.03);
  EXPECT_FALSE(c.any_regression);
  EXPECT_EQ(c.improvements, 1u);
  EXPECT_EQ(c.regressions, 0u);
}

TEST(CompareTest, ConfigurationsInOneRunOnlyAreListed) {
  std::vector<Config> configs = Sweep();
  Rng rng(9);
  RunRecord before = MakeRun(7, configs, rng, 40, 0.03);
  RunRecord after = MakeRun(8, configs, rng, 40, 0.03);
  before.results.erase(before.results.begin());   // bert b1 t1: only in run 8
  after.results.pop_back();                       // resnet b8 t2: only in run 7
  after.results[1].model_cid = "bafkreichanged";  // bert b1 t2 re-exported: a new model
  const RunComparison c = CompareRuns(before, after);
  ASSERT_EQ(c.rows.size(), 9u);  // 5 matched, 2 only in 8, 2 only in 7
  EXPECT_EQ(c.only_after, 2u);
  EXPECT_EQ(c.only_before, 2u);
  EXPECT_EQ(c.unchanged, 5u);
  EXPECT_EQ(Verdict(c.rows[5], c), "only in run 8");
  EXPECT_EQ(c.rows[5].label, "bert b1 s128 t1 single-stream cpu");
  EXPECT_EQ(Verdict(c.rows[8], c), "only in run 7");
  EXPECT_EQ(c.rows[8].label, "resnet b8 t2 single-stream cpu");
  EXPECT_FALSE(c.any_regression);

  const std::string text = RenderComparisonText(c);
  EXPECT_TRUE(HasSubstr(text, "only in run 8"));
  EXPECT_TRUE(HasSubstr(text, "only in run 7"));
  const nlohmann::json j = ComparisonToJson(c);
  EXPECT_EQ(j["rows"].size(), 9u);
  EXPECT_EQ(j["only_before"], 2);
  EXPECT_EQ(j["rows"][8]["verdict"], "only in run 7");
  EXPECT_FALSE(j["rows"][8].contains("p_value"));
}

TEST(CompareTest, RepeatedConfigurationsMatchInOrder) {
  const Config c = {"bert", 1, 1, 5.0};
  Rng rng(11);
  RunRecord before, after;
  before.id = 1;
  after.id = 2;
  before.results = {Result(c, rng.LogNormals(50, 5, 0.03)), Result(c, rng.LogNormals(50, 8, 0.03))};
  after.results = {Result(c, rng.LogNormals(50, 5, 0.03)), Result(c, rng.LogNormals(50, 8, 0.03))};
  const RunComparison cmp = CompareRuns(before, after);
  ASSERT_EQ(cmp.rows.size(), 2u);
  EXPECT_EQ(cmp.unchanged, 2u);  // 5 ms with 5 ms, 8 ms with 8 ms
  EXPECT_NE(cmp.rows[0].key, cmp.rows[1].key);
}

TEST(CompareTest, OutputsNameTheTestAndTheVerdicts) {
  const std::vector<Config> configs = Sweep();
  Rng rng(13);
  const RunRecord before = MakeRun(1, configs, rng, 50, 0.04);
  RunRecord after = MakeRun(2, configs, rng, 50, 0.04, 0, 1.2);
  after.results[1].model_name = "bad\xff name";  // not UTF-8: JSON must still serialize
  const RunComparison c = CompareRuns(before, after);
  ASSERT_TRUE(c.any_regression);
  const std::string text = RenderComparisonText(c);
  EXPECT_TRUE(HasSubstr(text, c.test));
  EXPECT_TRUE(HasSubstr(text, "Mann–Whitney"));
  EXPECT_TRUE(HasSubstr(text, "regression"));
  EXPECT_TRUE(HasSubstr(text, "no significant change"));
  EXPECT_TRUE(HasSubstr(text, FormatChange(c.rows[0].comparison.change)));
  EXPECT_EQ(FormatChange(0.2), "+20.0%");
  EXPECT_TRUE(HasSubstr(text, "1 regression,"));
  const nlohmann::json j = ComparisonToJson(c);
  EXPECT_EQ(j["test"], c.test);
  EXPECT_EQ(j["any_regression"], true);
  EXPECT_EQ(j["rows"][0]["verdict"], "regression");
  EXPECT_NEAR(j["rows"][0]["change"].get<double>(), 0.2, 0.03);
  EXPECT_LT(j["rows"][0]["p_adjusted"].get<double>(), 0.01);
  EXPECT_NO_THROW(j.dump());
  EXPECT_TRUE(HasSubstr(j.dump(), "bad\xEF\xBF\xBD name"));
}

// Names come from the database: the text for the terminal shows control characters escaped.
TEST(CompareTest, TextEscapesControlCharactersInNames) {
  const std::vector<Config> configs = Sweep();
  Rng rng(19);
  RunRecord before = MakeRun(1, configs, rng, 30, 0.03);
  RunRecord after = MakeRun(2, configs, rng, 30, 0.03);
  for (RunRecord* run : {&before, &after}) {
    run->results[0].model_name = "evil\x1b[2J\nname";
    run->results[0].model_cid.clear();  // matched by name
  }
  after.status = "odd\x1b]0;title\x07";
  const std::string text = RenderComparisonText(CompareRuns(before, after));
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_TRUE(HasSubstr(text, "evil\\x1b[2J\\nname")) << text;
}

TEST(CompareTest, NotesSayWhatADifferenceCanMean) {
  const std::vector<Config> configs = Sweep();
  Rng rng(17);
  RunRecord before = MakeRun(1, configs, rng, 30, 0.03);
  RunRecord after = MakeRun(2, configs, rng, 30, 0.03);
  before.git_commit = after.git_commit = "abc123";
  before.hardware_fingerprint = after.hardware_fingerprint = "00ff00ff00ff00ff";
  RunComparison same = CompareRuns(before, after);
  ASSERT_EQ(same.notes.size(), 1u);
  EXPECT_TRUE(HasSubstr(same.notes[0], "same build (abc123) on the same hardware"));
  EXPECT_TRUE(HasSubstr(RenderComparisonText(same), "Note: both runs are the same build"));

  after.hardware_fingerprint = "1111222233334444";
  after.status = "interrupted";
  RunComparison other = CompareRuns(before, after);
  ASSERT_EQ(other.notes.size(), 2u);
  EXPECT_TRUE(HasSubstr(other.notes[0], "different hardware"));
  EXPECT_TRUE(HasSubstr(other.notes[1], "run 2 is interrupted"));
  EXPECT_EQ(ComparisonToJson(other)["notes"].size(), 2u);

  after.hardware_fingerprint = before.hardware_fingerprint;
  after.git_commit = "def456";
  after.status = "complete";
  EXPECT_TRUE(CompareRuns(before, after).notes.empty());
}

}  // namespace
}  // namespace ipfs_accelerate::bench
