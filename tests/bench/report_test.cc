// Reports: every result and sample reaches the JSON, the HTML page holds the table and the three
// charts with user strings escaped, Markdown holds the tables, and bad format names are refused.
// IA_REPORT_HTML_OUT=dir writes the rendered pages there, to check them in a browser
// (tests/bench/check_report.js).
#include "bench/report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "../test_util.h"
#include "bench/report_common.h"
#include "bench_random.h"

namespace ipfs_accelerate::bench {
namespace {

using test_random::Rng;
using test_util::HasSubstr;

const char* kEvilModel = "<script>x</script>";

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

// Runs 1..count of a sweep (2 models × batch 1/8 × threads 1/2), oldest first. The last run is
// 10% slower on one configuration and 15% faster on another; `interrupted_last` stops it early.
std::vector<RunRecord> Runs(int count, bool interrupted_last = false) {
  std::vector<RunRecord> runs;
  Rng rng(2026);
  for (int id = 1; id <= count; ++id) {
    RunRecord run;
    run.id = id;
    run.started_at = "2026-11-2" + std::to_string(id) + "T10:33:03Z";
    run.finished_at = "2026-11-2" + std::to_string(id) + "T10:41:17Z";
    run.git_commit = "45495c0a1b2c3d4e5f60718293a4b5c6d7e8f901";
    run.version = "0.1.0";
    run.host = "bench-host & <lab>";
    run.hardware_fingerprint = "sha256:9f2c41d0e6b7a8c9";
    run.command = "ipfs-accelerate bench bert resnet --batch 1,8 --threads 1,2";
    run.status = "complete";
    run.hardware = {
        {"cpu", true, "", 10, R"({"model":"AMD EPYC","cores":16,"flags":["avx2","avx512f"]})"},
        {"cuda", false, "no NVIDIA driver", 100, "not json {"}};
    const bool last = id == count;
    int index = 0;
    for (const char* model : {"bert-base", kEvilModel}) {
      for (int64_t batch : {1, 8}) {
        for (int64_t threads : {1, 2}) {
          ResultRecord r;
          r.id = id * 100 + index;
          r.run_id = id;
          r.model_name = model;
          r.model_cid = std::string("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z") +
                        (model == kEvilModel ? "x" : "");
          r.seq = model == kEvilModel ? 0 : 128;
          r.batch = batch;
          r.threads = threads;
          r.warmup_runs = 5;
          double median = (model == kEvilModel ? 2.5 : 9.0) * static_cast<double>(batch) /
                          (threads == 2 ? 1.8 : 1.0);
          if (last && index == 1) median *= 1.10;
          if (last && index == 6) median *= 0.85;
          const size_t n = 30 + static_cast<size_t>(index) * 20;
          r.samples_ms = rng.LogNormals(n, median, 0.04);
          r.samples_ms[n / 3] = median * 1.9;  // a hiccup: an outlier
          if (last && interrupted_last && index == 7) {
            r.samples_ms.resize(4);
            r.interrupted = true;
          }
          r.stats = Summarize(r.samples_ms);
          r.outlier = FlagOutliers(r.samples_ms);
          r.converged = r.stats.ci_valid && r.stats.ci_rel <= 0.02;
          r.throughput = static_cast<double>(batch) * 1000.0 / r.stats.mean;
          r.peak_rss_bytes = (300 + 40 * batch) << 20;
          run.results.push_back(std::move(r));
          ++index;
        }
      }
    }
    if (last && interrupted_last) run.status = "interrupted";
    runs.push_back(std::move(run));
  }
  return runs;
}

void MaybeWrite(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("IA_REPORT_HTML_OUT");
  if (dir && *dir) test_util::MustWrite(std::string(dir) + "/" + name, text);
}

TEST(ReportTest, ParseFormat) {
  EXPECT_EQ(ParseReportFormat("html").value(), ReportFormat::kHtml);
  EXPECT_EQ(ParseReportFormat("md").value(), ReportFormat::kMarkdown);
  EXPECT_EQ(ParseReportFormat("json").value(), ReportFormat::kJson);
  for (const char* bad : {"pdf", "", "HTML", "markdown "}) {
    auto r = ParseReportFormat(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(r.status().message(), "html, md or json"));
  }
}

TEST(ReportTest, JsonHoldsEveryResultAndSample) {
  const std::vector<RunRecord> runs = Runs(3);
  const nlohmann::json j = nlohmann::json::parse(RenderReport(runs, ReportFormat::kJson));
  EXPECT_EQ(j["run"], 3);
  ASSERT_EQ(j["runs"].size(), 3u);
  for (size_t i = 0; i < runs.size(); ++i) {
    const nlohmann::json& run = j["runs"][i];
    EXPECT_EQ(run["id"], runs[i].id);
    EXPECT_EQ(run["host"], runs[i].host);
    EXPECT_EQ(run["command"], runs[i].command);
    ASSERT_EQ(run["results"].size(), runs[i].results.size());
    for (size_t k = 0; k < runs[i].results.size(); ++k) {
      const ResultRecord& r = runs[i].results[k];
      const nlohmann::json& jr = run["results"][k];
      EXPECT_EQ(jr["model_name"], r.model_name);
      EXPECT_EQ(jr["label"], r.Label());
      EXPECT_EQ(jr["batch"], r.batch);
      EXPECT_EQ(jr["samples_ms"].get<std::vector<double>>(), r.samples_ms);
      EXPECT_EQ(jr["outlier"].get<std::vector<bool>>(), r.outlier);
      EXPECT_EQ(jr["stats"]["count"], r.samples_ms.size());
      EXPECT_DOUBLE_EQ(jr["stats"]["median"].get<double>(), r.stats.median);
      EXPECT_DOUBLE_EQ(jr["stats"]["ci_low"].get<double>(), r.stats.ci_low);
      EXPECT_EQ(jr["stats"]["outliers"], r.stats.outliers);
      EXPECT_GE(r.stats.outliers, 1u);
    }
    // Hardware details: embedded as JSON when they parse, kept as text when not.
    EXPECT_EQ(run["hardware"][0]["details"]["cores"], 16);
    EXPECT_EQ(run["hardware"][1]["details_json"], "not json {");
    EXPECT_EQ(run["hardware"][1]["reason"], "no NVIDIA driver");
  }
  const nlohmann::json& c = j["comparison"];
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["run_before"], 2);
  EXPECT_EQ(c["run_after"], 3);
  EXPECT_EQ(c["rows"].size(), 8u);
  EXPECT_EQ(c["any_regression"], true);
  EXPECT_EQ(c["rows"][1]["verdict"], "regression");
  EXPECT_EQ(c["rows"][6]["verdict"], "improvement");
  EXPECT_TRUE(HasSubstr(c["test"].get<std::string>(), "Mann–Whitney"));
}

TEST(ReportTest, HtmlHasTableChartsAndEscapes) {
  const std::vector<RunRecord> runs = Runs(3);
  const std::string html = RenderReport(runs, ReportFormat::kHtml);
  MaybeWrite("report3.html", html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* chart : {"latency-distribution", "throughput-batch", "run-comparison"})
    EXPECT_EQ(Count(html, std::string("data-chart=\"") + chart + "\""), 1u) << chart;
  EXPECT_EQ(Count(html, "<svg"), 3u);
  EXPECT_EQ(Count(html, "<tr data-samples="), runs.back().results.size());
  EXPECT_TRUE(HasSubstr(html, "data-result-count=\"8\""));
  // Every row of the summary has a cell under every heading.
  const size_t begin = html.find("<table class=\"summary\"");
  const std::string summary = html.substr(begin, html.find("</table>", begin) - begin);
  const size_t columns = Count(summary, "<th>") + Count(summary, "<th ");
  EXPECT_EQ(columns, 18u);
  EXPECT_EQ(Count(summary, "<td"), columns * runs.back().results.size());
  // Every sample is drawn in the latency chart (plus the two legend swatches).
  size_t samples = 0;
  for (const auto& r : runs.back().results) samples += r.samples_ms.size();
  EXPECT_EQ(Count(html, "<circle class=\"pt"), samples + 2);
  // User strings are escaped everywhere; the page is self-contained.
  EXPECT_EQ(Count(html, "<script"), 0u);
  EXPECT_TRUE(HasSubstr(html, "&lt;script&gt;x&lt;/script&gt;"));
  EXPECT_TRUE(HasSubstr(html, "bench-host &amp; &lt;lab&gt;"));
  EXPECT_EQ(Count(html, "http://") + Count(html, "https://") + Count(html, "url("), 0u);
  // The header, the comparison with the run before and its verdicts.
  EXPECT_TRUE(HasSubstr(html, "Benchmark run 3"));
  EXPECT_TRUE(HasSubstr(html, "45495c0a1b2c3d4e5f60718293a4b5c6d7e8f901"));
  EXPECT_TRUE(HasSubstr(html, "sha256:9f2c41d0e6b7a8c9"));
  EXPECT_TRUE(HasSubstr(html, "Run 2 → run 3"));
  EXPECT_TRUE(HasSubstr(html, ">regression<"));
  EXPECT_TRUE(HasSubstr(html, ">improvement<"));
  EXPECT_TRUE(HasSubstr(html, "Mann–Whitney"));
  EXPECT_FALSE(HasSubstr(html, "INTERRUPTED"));
  // Shortened CID with the full one in its title.
  EXPECT_TRUE(
      HasSubstr(html, "title=\"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z\""));
}

TEST(ReportTest, HtmlMarksAnInterruptedRun) {
  const std::vector<RunRecord> runs = Runs(2, /*interrupted_last=*/true);
  const std::string html = RenderReport(runs, ReportFormat::kHtml);
  MaybeWrite("report_interrupted.html", html);
  EXPECT_TRUE(HasSubstr(html, "class=\"badge interrupted\""));
  EXPECT_TRUE(HasSubstr(html, "Interrupted run."));
  EXPECT_TRUE(HasSubstr(html, "<tr class=\"interrupted\""));
  EXPECT_TRUE(HasSubstr(html, "n &lt; 6"));  // the 4-sample result has no interval
  EXPECT_TRUE(HasSubstr(html, "run 2 · 2026-11-22T10:33:03Z (interrupted)"));
  const std::string md = RenderReport(runs, ReportFormat::kMarkdown);
  EXPECT_TRUE(HasSubstr(md, "**Status: INTERRUPTED**"));
  EXPECT_TRUE(HasSubstr(md, "run 2 (interrupted)"));
}

TEST(ReportTest, SingleRunGivesAValidPage) {
  const std::vector<RunRecord> runs = Runs(1);
  const std::string html = RenderReport(runs, ReportFormat::kHtml);
  MaybeWrite("report1.html", html);
  for (const char* chart : {"latency-distribution", "throughput-batch", "run-comparison"})
    EXPECT_EQ(Count(html, std::string("data-chart=\"") + chart + "\""), 1u) << chart;
  EXPECT_TRUE(HasSubstr(html, "Only one run (1) is in this report"));
  EXPECT_TRUE(HasSubstr(html, "</html>"));
  const nlohmann::json j = nlohmann::json::parse(RenderReport(runs, ReportFormat::kJson));
  EXPECT_TRUE(j["comparison"].is_null());
  EXPECT_EQ(j["runs"].size(), 1u);
  EXPECT_TRUE(HasSubstr(RenderReport(runs, ReportFormat::kMarkdown), "Only one run (1)"));
}

TEST(ReportTest, MarkdownHasTheTables) {
  const std::vector<RunRecord> runs = Runs(3);
  const std::string md = RenderReport(runs, ReportFormat::kMarkdown);
  MaybeWrite("report3.md", md);
  EXPECT_EQ(md.rfind("# Benchmark run 3", 0), 0u);
  EXPECT_TRUE(
      HasSubstr(md, "| Command | ipfs-accelerate bench bert resnet --batch 1,8 --threads 1,2 |"));
  EXPECT_TRUE(HasSubstr(md, "| Host | bench-host &amp; &lt;lab&gt; |"));
  EXPECT_TRUE(HasSubstr(md, "| model | CID | hardware | precision | batch |"));
  EXPECT_TRUE(
      HasSubstr(md, "| configuration | run 1 | run 2 | run 3 | change vs run 2 | verdict |"));
  EXPECT_EQ(Count(md, "<script"), 0u);
  EXPECT_TRUE(HasSubstr(md, "&lt;script&gt;x&lt;/script&gt;"));
  // The summary rows, the comparison rows: one per configuration each.
  EXPECT_EQ(Count(md, "\n| bert-base |"), 4u);
  EXPECT_EQ(Count(md, "\n| bert-base b"), 4u);
  EXPECT_TRUE(HasSubstr(md, "| regression |"));
  EXPECT_TRUE(HasSubstr(md, "| improvement |"));
  EXPECT_TRUE(HasSubstr(md, "| cuda | no | 100 | no NVIDIA driver |"));
}

// Awkward data a real database can hold: no samples, one sample, all samples equal, a long
// name, bytes that are not UTF-8, a wide sweep of batch sizes, many runs and many samples.
TEST(ReportTest, OddDataRendersWithoutNonFiniteNumbers) {
  std::vector<RunRecord> runs = Runs(6);
  RunRecord& run = runs.back();
  Rng rng(99);
  auto add = [&](const std::string& name, int64_t batch, std::vector<double> samples) {
    ResultRecord r;
    r.run_id = run.id;
    r.model_name = name;
    r.model_cid = "bafkreiodd" + name.substr(0, 3);
    r.batch = batch;
    r.samples_ms = std::move(samples);
    r.stats = Summarize(r.samples_ms);
    r.outlier = FlagOutliers(r.samples_ms);
    r.throughput = r.samples_ms.empty() ? 0 : static_cast<double>(batch) * 1000 / r.stats.mean;
    run.results.push_back(std::move(r));
  };
  add("empty", 1, {});
  add("single", 1, {3.5});
  add("constant", 1, std::vector<double>(40, 2.0));
  add("sentence-transformers-paraphrase-multilingual-mpnet-base-v2-quantized-int8", 1,
      rng.LogNormals(20000, 7, 0.05));
  add("bad\xc3name", 2, rng.LogNormals(30, 1, 0.05));
  for (int64_t batch : {1, 2, 4, 16, 64})
    add("sweep", batch, rng.LogNormals(25, batch * 0.9, 0.03));
  for (ReportFormat f : {ReportFormat::kHtml, ReportFormat::kMarkdown, ReportFormat::kJson}) {
    const std::string text = RenderReport(runs, f);
    EXPECT_FALSE(std::regex_search(text, std::regex(R"(\b-?(nan|inf)\b)"))) << static_cast<int>(f);
    EXPECT_EQ(ValidUtf8(text), text) << "not UTF-8: " << static_cast<int>(f);
    if (f == ReportFormat::kHtml) {
      MaybeWrite("report_odd.html", text);
      EXPECT_EQ(Count(text, "<svg"), 3u);
      EXPECT_EQ(Count(text, "<tr data-samples="), run.results.size());
      EXPECT_TRUE(HasSubstr(text, "no samples"));
    }
    if (f == ReportFormat::kJson) {
      const nlohmann::json j = nlohmann::json::parse(text);
      EXPECT_EQ(j["runs"][5]["results"].size(), run.results.size());
      EXPECT_EQ(j["runs"][5]["results"][11]["samples_ms"].size(), 20000u);
    }
  }
}

TEST(ReportTest, MarkdownEscapesMarkupButNotWordUnderscores) {
  std::vector<RunRecord> runs = Runs(1);
  runs[0].results[0].model_name = "mlp_test";
  runs[0].results[1].model_name = "_italic_ *bold* [link] a|b";
  const std::string md = RenderReport(runs, ReportFormat::kMarkdown);
  EXPECT_TRUE(HasSubstr(md, "| mlp_test |"));
  EXPECT_TRUE(HasSubstr(md, "| \\_italic\\_ \\*bold\\* \\[link\\] a\\|b |"));
}

TEST(ReportTest, NoRunsStillRenders) {
  EXPECT_TRUE(HasSubstr(RenderReport({}, ReportFormat::kHtml), "No runs to report"));
  EXPECT_TRUE(HasSubstr(RenderReport({}, ReportFormat::kMarkdown), "No runs to report"));
  const nlohmann::json j = nlohmann::json::parse(RenderReport({}, ReportFormat::kJson));
  EXPECT_TRUE(j["runs"].empty());
  RunRecord empty_run;
  empty_run.id = 4;
  const std::string html = RenderReport({empty_run}, ReportFormat::kHtml);
  EXPECT_EQ(Count(html, "<svg"), 3u);
  EXPECT_TRUE(HasSubstr(html, "No results in this run."));
}

}  // namespace
}  // namespace ipfs_accelerate::bench
