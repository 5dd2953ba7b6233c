#include "bench/report.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/compare.h"
#include "bench/report_common.h"
#include "bench/report_html.h"
#include "core/json_util.h"
#include "core/terminal_text.h"

namespace ipfs_accelerate::bench {
namespace {

using nlohmann::json;

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// "cosine 0.99939, top-1 100%" for a precision other than fp32 (what it measured), else "-".
std::string VsFp32(const ResultRecord& r) {
  if (std::isnan(r.cosine_vs_fp32)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "cosine %.5f", r.cosine_vs_fp32);
  std::string s = buf;
  if (!std::isnan(r.top1_vs_fp32)) {
    std::snprintf(buf, sizeof buf, ", top-1 %.0f%%", 100 * r.top1_vs_fp32);
    s += buf;
  }
  return s;
}

json StatsJson(const SampleStats& s) {
  return {
      {"count", s.count},           {"min", Number(s.min)},         {"max", Number(s.max)},
      {"mean", Number(s.mean)},     {"stddev", Number(s.stddev)},   {"median", Number(s.median)},
      {"p90", Number(s.p90)},       {"p99", Number(s.p99)},         {"mad", Number(s.mad)},
      {"ci_low", Number(s.ci_low)}, {"ci_high", Number(s.ci_high)}, {"ci_valid", s.ci_valid},
      {"ci_rel", Number(s.ci_rel)}, {"outliers", s.outliers}};
}

json ResultJson(const ResultRecord& r) {
  json samples = json::array();
  for (double x : r.samples_ms) samples.push_back(Number(x));
  json outlier = json::array();
  for (bool b : OutliersOf(r)) outlier.push_back(b);
  return {{"id", r.id},
          {"run_id", r.run_id},
          {"label", r.Label()},
          {"key", r.Key()},
          {"model_name", r.model_name},
          {"model_cid", r.model_cid},
          {"hardware", r.hardware},
          {"precision", r.precision},
          {"scenario", r.scenario},
          {"batch", r.batch},
          {"seq", r.seq},
          {"dims", r.dims},
          {"threads", r.threads},
          {"warmup_runs", r.warmup_runs},
          {"stats", StatsJson(StatsOf(r))},
          {"throughput", Number(r.throughput)},
          {"peak_rss_bytes", r.peak_rss_bytes},
          {"converged", r.converged},
          {"interrupted", r.interrupted},
          {"cosine_vs_fp32", Number(r.cosine_vs_fp32)},
          {"top1_vs_fp32", Number(r.top1_vs_fp32)},
          {"samples_ms", std::move(samples)},
          {"outlier", std::move(outlier)}};
}

json HardwareJson(const HardwarePlatform& h) {
  json j = {{"platform", h.platform},
            {"available", h.available},
            {"reason", h.reason},
            {"priority", h.priority}};
  auto details = ParseJson(h.details_json, "hardware details");
  if (details.ok()) {
    j["details"] = std::move(details).value();
  } else if (!h.details_json.empty()) {
    j["details_json"] = h.details_json;  // not JSON: kept as the text it is
  }
  return j;
}

json RunJson(const RunRecord& run) {
  json hardware = json::array();
  for (const auto& h : run.hardware) hardware.push_back(HardwareJson(h));
  json results = json::array();
  for (const auto& r : run.results) results.push_back(ResultJson(r));
  return {{"id", run.id},
          {"started_at", run.started_at},
          {"finished_at", run.finished_at},
          {"git_commit", run.git_commit},
          {"version", run.version},
          {"host", run.host},
          {"hardware_fingerprint", run.hardware_fingerprint},
          {"command", run.command},
          {"status", run.status},
          {"hardware", std::move(hardware)},
          {"results", std::move(results)}};
}

std::string RenderJson(const std::vector<RunRecord>& runs) {
  json j = {{"report", "ipfs-accelerate benchmark report"}, {"format_version", 1}};
  j["run"] = runs.empty() ? json(nullptr) : json(runs.back().id);
  json all = json::array();
  for (const auto& run : runs) all.push_back(RunJson(run));
  j["runs"] = std::move(all);
  j["comparison"] = runs.size() >= 2
                        ? ComparisonToJson(CompareRuns(runs[runs.size() - 2], runs.back()))
                        : json(nullptr);
  // Names and commands come from users: replace invalid UTF-8 rather than fail.
  return DumpJson(j, 2) + "\n";
}

// Text safe in a Markdown table cell, and on a terminal (the report goes to stdout by default):
// control characters become visible escapes (TerminalSafe), then no line breaks, no pipes, no
// markup, no raw HTML. An underscore inside a word ("mlp_test") cannot start emphasis.
std::string Md(const std::string& raw) {
  const std::string text = TerminalSafe(raw);
  auto word = [&](size_t i) {
    return i < text.size() && std::isalnum(static_cast<unsigned char>(text[i]));
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\n':
      case '\r':
        out += ' ';
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '_':
        if (i > 0 && word(i - 1) && word(i + 1)) {
          out += c;
          break;
        }
        [[fallthrough]];
      case '\\':
      case '`':
      case '*':
      case '[':
      case ']':
      case '|':
      case '#':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string MdRow(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string MdTable(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows) {
  std::string out = MdRow(header) + "|";
  for (size_t i = 0; i < header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : rows) out += MdRow(row);
  return out;
}

std::string MdRunComparison(const std::vector<RunRecord>& runs) {
  const RunRecord& last = runs.back();
  if (runs.size() < 2) {
    return "Only one run (" + std::to_string(last.id) +
           ") is in this report: there is no earlier run to compare it with.\n";
  }
  std::vector<std::map<std::string, const ResultRecord*>> by_key(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::vector<std::string> keys = MatchKeys(runs[i]);
    for (size_t k = 0; k < keys.size(); ++k) by_key[i][keys[k]] = &runs[i].results[k];
  }
  const RunComparison cmp = CompareRuns(runs[runs.size() - 2], last);
  std::map<std::string, const ConfigurationComparison*> verdicts;
  for (const auto& row : cmp.rows) verdicts[row.key] = &row;

  std::vector<std::string> header = {"configuration"};
  for (const auto& run : runs) {
    header.push_back("run " + std::to_string(run.id) +
                     (run.status == "interrupted" ? " (interrupted)" : ""));
  }
  header.push_back("change vs run " + std::to_string(cmp.run_before));
  header.push_back("verdict");
  std::vector<std::vector<std::string>> rows;
  const std::vector<std::string> keys = MatchKeys(last);
  for (size_t k = 0; k < keys.size(); ++k) {
    std::vector<std::string> row = {Md(last.results[k].Label())};
    for (size_t i = 0; i < runs.size(); ++i) {
      auto it = by_key[i].find(keys[k]);
      if (it == by_key[i].end()) {
        row.push_back("-");
        continue;
      }
      const SampleStats s = StatsOf(*it->second);
      row.push_back(s.count ? FormatMs(s.median) + " " + FormatCiRel(s.ci_rel) : "-");
    }
    const ConfigurationComparison* v = verdicts.count(keys[k]) ? verdicts[keys[k]] : nullptr;
    const bool both = v && v->in_before && v->in_after;
    row.push_back(both ? FormatChange(v->comparison.change) : "-");
    row.push_back(v ? Md(Verdict(*v, cmp)) : "-");
    rows.push_back(std::move(row));
  }
  std::string out =
      "Median latency (ms) with the relative half-width of its 95% confidence interval, per "
      "configuration and run.\n\n" +
      MdTable(header, rows) + "\nTest between run " + std::to_string(cmp.run_before) + " and run " +
      std::to_string(cmp.run_after) + ": " + Md(cmp.test) + ".\n";
  for (const std::string& note : cmp.notes) out += "\nNote: " + Md(note) + ".\n";
  return out;
}

std::string RenderMarkdown(const std::vector<RunRecord>& runs) {
  if (runs.empty()) return "# Benchmark report\n\nNo runs to report.\n";
  const RunRecord& run = runs.back();
  std::string out = "# Benchmark run " + std::to_string(run.id) + "\n\n";
  if (run.status == "interrupted") {
    out +=
        "**Status: INTERRUPTED** — stopped before it finished; its results hold only the "
        "samples measured until then.\n\n";
  } else if (run.status == "failed") {
    out +=
        "**Status: FAILED** — it stopped on an error or its process died (crashed or was "
        "killed); its results hold only what was measured until then.\n\n";
  } else if (run.status != "complete") {
    out += "**Status: " + Md(run.status) + "** — the run has not finished.\n\n";
  }
  out += MdTable({"", ""}, {{"Status", Md(run.status)},
                            {"Started", Md(run.started_at)},
                            {"Finished", run.finished_at.empty() ? "-" : Md(run.finished_at)},
                            {"Commit", Md(run.git_commit)},
                            {"Version", Md(run.version)},
                            {"Host", Md(run.host)},
                            {"Hardware fingerprint", Md(run.hardware_fingerprint)},
                            {"Command", Md(run.command)}});
  if (!run.hardware.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& h : run.hardware) {
      rows.push_back(
          {Md(h.platform), h.available ? "yes" : "no", std::to_string(h.priority), Md(h.reason)});
    }
    out += "\n## Hardware\n\n" + MdTable({"platform", "available", "priority", "reason"}, rows);
  }

  std::vector<std::vector<std::string>> rows;
  for (const auto& r : run.results) {
    const SampleStats s = StatsOf(r);
    const StatCells c = FormatStats(s);
    const std::string model = Md(r.model_name) + (r.interrupted ? " (interrupted)" : "");
    const std::string seq = r.seq > 0 ? std::to_string(r.seq) : "-";
    rows.push_back({model,
                    Md(ShortCid(r.model_cid)),
                    Md(r.hardware),
                    Md(r.precision),
                    std::to_string(r.batch),
                    seq,
                    std::to_string(r.threads),
                    Md(r.scenario),
                    std::to_string(s.count),
                    c.p50,
                    c.p90,
                    c.p99,
                    c.mean,
                    c.stddev,
                    c.ci,
                    c.ci_rel,
                    r.converged ? "yes" : "no",
                    std::to_string(s.outliers),
                    FormatCount(r.throughput),
                    FormatBytes(r.peak_rss_bytes),
                    VsFp32(r)});
  }
  const std::vector<std::string> header = {"model",
                                           "CID",
                                           "hardware",
                                           "precision",
                                           "batch",
                                           "seq",
                                           "threads",
                                           "scenario",
                                           "samples",
                                           "p50",
                                           "p90",
                                           "p99",
                                           "mean",
                                           "stddev",
                                           "95% CI of median",
                                           "±",
                                           "converged",
                                           "outliers",
                                           "throughput (items/s)",
                                           "peak RSS",
                                           "vs fp32"};
  out += "\n## Summary\n\nTimes in milliseconds.\n\n" + MdTable(header, rows);
  out += "\n## Run to run\n\n" + MdRunComparison(runs);
  return out;
}

}  // namespace

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "html") return ReportFormat::kHtml;
  if (name == "md") return ReportFormat::kMarkdown;
  if (name == "json") return ReportFormat::kJson;
  return Status::InvalidArgument("unknown report format '" + std::string(name) +
                                 "': use html, md or json");
}

std::string RenderReport(const std::vector<RunRecord>& runs, ReportFormat format) {
  // Names, hosts and commands come from users and may hold bytes that are not UTF-8, which the
  // page declares: replace them rather than hand a browser an invalid document.
  switch (format) {
    case ReportFormat::kHtml:
      return ValidUtf8(RenderHtmlReport(runs));
    case ReportFormat::kMarkdown:
      return ValidUtf8(RenderMarkdown(runs));
    case ReportFormat::kJson:
      return RenderJson(runs);
  }
  return {};
}

}  // namespace ipfs_accelerate::bench
