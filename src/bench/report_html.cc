#include "bench/report_html.h"

#include <nlohmann/json.hpp>

#include "bench/compare.h"
#include "bench/report_charts.h"
#include "bench/report_common.h"
#include "bench/svg.h"
#include "core/json_util.h"

namespace ipfs_accelerate::bench {
namespace {

using svg::Escape;

constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1b1f24;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1440px; margin: 0 auto; padding: 20px; }
h1 { font-size: 22px; margin: 0 0 10px; }
h2 { font-size: 17px; margin: 0 0 10px; }
header, section { background: #fff; border: 1px solid #d8dee4; border-radius: 8px;
  padding: 16px 20px; margin-bottom: 16px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-size: 12px;
  font-weight: 700; vertical-align: middle; text-transform: uppercase; letter-spacing: .03em; }
.badge.complete { background: #e3f4e8; color: #1a7f37; }
.badge.interrupted { background: #b42318; color: #fff; }
.badge.running, .badge.other { background: #fff4d6; color: #9a6700; }
.banner { border-left: 5px solid #b42318; background: #fde2e1; padding: 8px 12px; margin: 0 0 12px; }
.banner.running { border-color: #9a6700; background: #fff4d6; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0 0 12px; }
dl.meta dt { color: #57606a; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12px; }
th, td { padding: 4px 5px; border-bottom: 1px solid #eaeef2; text-align: left; white-space: nowrap;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; vertical-align: bottom; }
table.summary th { white-space: normal; min-width: 3em; }
table.summary td, table.summary th { padding: 4px 4px; }
table.hardware td.reason { white-space: normal; min-width: 12em; }
table.summary td.ci { white-space: normal; min-width: 5em; }
table.summary td.model { white-space: normal; min-width: 10em; max-width: 14em; overflow-wrap: anywhere; }
.cid { display: block; color: #57606a; font-size: 11px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.interrupted td { background: #fff5f5; }
.flag { display: block; color: #b42318; font-weight: 700; font-size: 11px; }
.yes, .good { color: #1a7f37; }
.no, .bad { color: #b42318; }
.bad, .good { font-weight: 600; }
.muted { color: #57606a; }
pre { margin: 4px 0; font-size: 12px; white-space: pre-wrap; }
figure { margin: 0; }
figcaption, p.note { color: #57606a; font-size: 13px; margin: 8px 0 0; }
svg { display: block; max-width: 100%; height: auto; font-family: inherit; font-size: 12px; }
svg text { fill: #1b1f24; }
svg .sub { fill: #57606a; }
svg .note { fill: #9a6700; font-weight: 600; }
svg .bad { fill: #b42318; }
svg .good { fill: #1a7f37; }
svg .axis line, svg .base { stroke: #8c959f; }
svg .grid { stroke: #eaeef2; }
svg .stripe { fill: #f6f8fa; }
svg .box { fill: #dbe9f6; stroke: #1f4e79; }
svg .whisker { stroke: #1f4e79; }
svg .med { stroke: #0b2e4f; stroke-width: 2.5; }
svg .ci { fill: #1f4e79; opacity: .5; }
svg .pt { fill: #0072B2; opacity: .45; }
svg .pt.out { fill: none; stroke: #D55E00; stroke-width: 1.3; opacity: 1; }
svg .series { fill: none; stroke-width: 2; }
svg .mark { stroke: #fff; stroke-width: 1; }
svg .err { stroke-width: 1.6; }
)css";

std::string Td(const std::string& html, const char* cls = nullptr) {
  return cls ? "<td class=\"" + std::string(cls) + "\">" + html + "</td>" : "<td>" + html + "</td>";
}

std::string Num(const std::string& text) { return Td(Escape(text), "num"); }

std::string Header(const RunRecord& run) {
  const bool interrupted = run.status == "interrupted";
  const std::string badge =
      run.status == "complete" || interrupted || run.status == "running" ? run.status : "other";
  std::string out = "<header><h1>Benchmark run " + std::to_string(run.id) +
                    " <span class=\"badge " + badge + "\">" + Escape(run.status) + "</span></h1>";
  if (interrupted) {
    out +=
        "<p class=\"banner\"><strong>Interrupted run.</strong> It was stopped before it "
        "finished: its results hold only the samples measured until then, and configurations "
        "it had not reached are missing.</p>";
  } else if (run.status != "complete") {
    out += "<p class=\"banner running\"><strong>Unfinished run</strong> (status " +
           Escape(run.status) + "): the results may be incomplete.</p>";
  }
  auto item = [](const char* name, const std::string& value, bool code = false) {
    const std::string v = value.empty() ? "<span class=\"muted\">-</span>"
                          : code        ? "<code>" + Escape(value) + "</code>"
                                        : Escape(value);
    return "<dt>" + std::string(name) + "</dt><dd>" + v + "</dd>";
  };
  out += "<dl class=\"meta\">" + item("Run", std::to_string(run.id)) + item("Status", run.status) +
         item("Started", run.started_at) + item("Finished", run.finished_at) +
         item("Commit", run.git_commit, true) + item("Version", run.version) +
         item("Host", run.host) + item("Hardware fingerprint", run.hardware_fingerprint, true) +
         item("Command", run.command, true) + "</dl>";
  if (!run.hardware.empty()) {
    out +=
        "<div class=\"scroll\"><table class=\"hardware\"><thead><tr><th>platform</th>"
        "<th>available</th><th class=\"num\">priority</th><th>reason</th><th>details</th>"
        "</tr></thead><tbody>";
    for (const auto& h : run.hardware) {
      std::string details;
      if (!h.details_json.empty()) {
        auto j = ParseJson(h.details_json, "hardware details");
        const std::string text = j.ok() ? DumpJson(*j, 2) : h.details_json;
        details = "<details><summary>details</summary><pre>" + Escape(text) + "</pre></details>";
      }
      out += "<tr>" + Td(Escape(h.platform)) +
             Td(h.available ? "yes" : "no", h.available ? "yes" : "no") +
             Num(std::to_string(h.priority)) + Td(Escape(h.reason), "reason") + Td(details) +
             "</tr>";
    }
    out += "</tbody></table></div>";
  }
  return out + "</header>";
}

std::string SummaryTable(const RunRecord& run) {
  std::string out =
      "<section><h2>Summary</h2><div class=\"scroll\"><table class=\"summary\" "
      "data-result-count=\"" +
      std::to_string(run.results.size()) + "\"><thead><tr>";
  // The CID goes under the model name (shortened, in full as its tooltip): one column fewer.
  const char* kHeads[] = {"model / CID",
                          "hardware / precision",
                          "batch",
                          "seq",
                          "threads",
                          "scenario",
                          "samples",
                          "p50 ms",
                          "p90 ms",
                          "p99 ms",
                          "mean ms",
                          "stddev ms",
                          "95% CI of median (ms)",
                          "± %",
                          "converged",
                          "outliers",
                          "throughput items/s",
                          "peak RSS"};
  for (size_t i = 0; i < std::size(kHeads); ++i) {
    const bool left = i < 2 || i == 5 || i == 14;
    out += std::string(left ? "<th>" : "<th class=\"num\">") + Escape(kHeads[i]) + "</th>";
  }
  out += "</tr></thead><tbody>";
  for (const auto& r : run.results) {
    const SampleStats s = StatsOf(r);
    const StatCells c = FormatStats(s);
    out += "<tr" + std::string(r.interrupted ? " class=\"interrupted\"" : "") + " data-samples=\"" +
           std::to_string(r.samples_ms.size()) + "\">";
    out +=
        Td(Escape(r.model_name) +
               (r.interrupted ? "<span class=\"flag\" title=\"stopped before it finished: only the "
                                "samples measured until then\">INTERRUPTED</span>"
                              : "") +
               "<code class=\"cid\" title=\"" + Escape(r.model_cid) + "\">" +
               Escape(ShortCid(r.model_cid)) + "</code>",
           "model");
    out += Td(Escape(r.hardware) + " · " + Escape(r.precision)) + Num(std::to_string(r.batch)) +
           Num(r.seq > 0 ? std::to_string(r.seq) : "-") + Num(std::to_string(r.threads)) +
           Td(Escape(r.scenario)) + Num(std::to_string(s.count)) + Num(c.p50) + Num(c.p90) +
           Num(c.p99) + Num(c.mean) + Num(c.stddev) + Td(Escape(c.ci), "num ci") + Num(c.ci_rel);
    out += Td(r.converged ? "yes" : "no", r.converged ? "yes" : "no");
    out += Num(std::to_string(s.outliers)) + Num(FormatCount(r.throughput)) +
           Num(FormatBytes(r.peak_rss_bytes)) + "</tr>";
  }
  if (run.results.empty()) out += "<tr><td colspan=\"18\">No results in this run.</td></tr>";
  out +=
      "</tbody></table></div><p class=\"note\">The 95% confidence interval of the median is "
      "distribution-free (binomial order statistics); ± is its half-width relative to the "
      "median. Converged: the interval reached the target width. Outliers: modified z-score "
      "above 3.5 (median absolute deviation); they are kept in every statistic.</p></section>";
  return out;
}

std::string Figure(const std::string& title, const std::string& svg, const std::string& caption) {
  return "<section><h2>" + Escape(title) + "</h2><figure>" + svg + "<figcaption>" + caption +
         "</figcaption></figure>";
}

std::string ComparisonTable(const std::vector<RunRecord>& runs) {
  if (runs.size() < 2) return "";
  const RunComparison c = CompareRuns(runs[runs.size() - 2], runs.back());
  std::string out = "<h2 style=\"margin-top:18px\">Run " + std::to_string(c.run_before) +
                    " → run " + std::to_string(c.run_after) +
                    "</h2><div class=\"scroll\"><table class=\"comparison\"><thead><tr>"
                    "<th>configuration</th><th class=\"num\">before ms</th><th class=\"num\">"
                    "after ms</th><th class=\"num\">change</th><th class=\"num\">p (Holm)</th>"
                    "<th>verdict</th></tr></thead><tbody>";
  for (const auto& row : c.rows) {
    const bool both = row.in_before && row.in_after;
    const Comparison& k = row.comparison;
    const char* cls = k.regression ? "bad" : k.improvement ? "good" : "muted";
    out += "<tr>" + Td(Escape(row.label)) + Num(both ? FormatMs(k.median_before) : "-") +
           Num(both ? FormatMs(k.median_after) : "-") + Num(both ? FormatChange(k.change) : "-") +
           Num(both ? FormatP(k.p_adjusted) : "-") + Td(Escape(Verdict(row, c)), cls) + "</tr>";
  }
  out += "</tbody></table></div><p class=\"note\">Test: " + Escape(c.test) + ".</p>";
  for (const std::string& note : c.notes)
    out += "<p class=\"note\">Note: " + Escape(note) + ".</p>";
  return out;
}

}  // namespace

std::string RenderHtmlReport(const std::vector<RunRecord>& runs) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  if (runs.empty()) {
    return out + "<title>Benchmark report</title><style>" + kStyle +
           "</style></head><body><main><header><h1>Benchmark report</h1><p>No runs to report."
           "</p></header></main></body></html>\n";
  }
  const RunRecord& run = runs.back();
  out += "<title>Benchmark run " + std::to_string(run.id) +
         (run.status == "interrupted" ? " (interrupted)" : "") +
         " — ipfs-accelerate</title><style>" + kStyle + "</style></head><body><main>";
  out += Header(run);
  out += SummaryTable(run);
  out += Figure("Latency distribution", LatencyDistributionSvg(run),
                "Per configuration: the box spans the quartiles, the thick line is the median and "
                "the dark band its 95% confidence interval; whiskers reach the smallest and "
                "largest samples that are not outliers. Every sample is a dot; outliers are "
                "orange rings.") +
         "</section>";
  out += Figure("Throughput by batch size", ThroughputBatchSvg(run),
                "Items (batch elements) per second; one line per model, sequence length, thread "
                "count, scenario and hardware.") +
         "</section>";
  out +=
      Figure("Run to run", RunComparisonSvg(runs),
             "Median latency (dot) and its 95% confidence interval (bar) of each configuration "
             "of run " +
                 std::to_string(run.id) + " in every run of this report" +
                 (runs.size() >= 2 ? "; on the right, the verdict against the run before." : "."));
  out += ComparisonTable(runs) + "</section>";
  out += "<p class=\"note\">Generated by ipfs-accelerate from the benchmark results database";
  if (runs.size() > 1) {
    out += "; history: runs";
    for (size_t i = 0; i < runs.size(); ++i) out += (i ? ", " : " ") + std::to_string(runs[i].id);
  }
  return out + ".</p></main></body></html>\n";
}

}  // namespace ipfs_accelerate::bench
