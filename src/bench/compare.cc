#include "bench/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>

#include "bench/report_common.h"
#include "core/terminal_text.h"

namespace ipfs_accelerate::bench {
namespace {

// Columns on a terminal: UTF-8 code points, not bytes.
size_t Columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string PadLeft(const std::string& s, size_t width) {
  const size_t cols = Columns(s);
  return cols >= width ? s : std::string(width - cols, ' ') + s;
}

std::string PadRight(const std::string& s, size_t width) {
  const size_t cols = Columns(s);
  return cols >= width ? s : s + std::string(width - cols, ' ');
}

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

}  // namespace

std::vector<std::string> MatchKeys(const RunRecord& run) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const ResultRecord& r : run.results) {
    std::string key = r.Key();
    const int k = ++seen[key];
    if (k > 1) key += "#" + std::to_string(k);
    out.push_back(std::move(key));
  }
  return out;
}

RunComparison CompareRuns(const RunRecord& before, const RunRecord& after,
                          const CompareOptions& options) {
  RunComparison out;
  out.run_before = before.id;
  out.run_after = after.id;
  out.started_before = before.started_at;
  out.started_after = after.started_at;
  out.options = options;
  out.test = DescribeCompareTest(options);
  const std::string a = "run " + std::to_string(before.id), b = "run " + std::to_string(after.id);
  if (!before.hardware_fingerprint.empty() && !after.hardware_fingerprint.empty() &&
      before.hardware_fingerprint != after.hardware_fingerprint) {
    out.notes.push_back("the runs are on different hardware (fingerprints " +
                        before.hardware_fingerprint + " and " + after.hardware_fingerprint +
                        "): a difference need not come from the build");
  } else if (!before.git_commit.empty() && before.git_commit == after.git_commit &&
             !before.git_commit.ends_with("-dirty") && before.id != after.id) {
    out.notes.push_back("both runs are the same build (" + before.git_commit +
                        ") on the same hardware: a significant difference comes from the "
                        "machine's state (load, clock speed, other tenants), not the code");
  }
  for (const RunRecord* r : {&before, &after}) {
    if (r->status != "complete") {
      out.notes.push_back((r == &before ? a : b) + " is " + r->status +
                          ": configurations it did not finish are listed as only in one run");
    }
  }

  const std::vector<std::string> keys_before = MatchKeys(before);
  const std::vector<std::string> keys_after = MatchKeys(after);
  std::map<std::string, size_t> index_before;
  for (size_t i = 0; i < keys_before.size(); ++i) index_before[keys_before[i]] = i;

  std::vector<std::span<const double>> samples_before, samples_after;
  std::vector<size_t> paired_rows;
  std::vector<ConfigurationComparison> only_after;
  std::set<std::string> matched;
  for (size_t i = 0; i < keys_after.size(); ++i) {
    const ResultRecord& a = after.results[i];
    ConfigurationComparison row;
    row.key = keys_after[i];
    row.label = a.Label();
    row.in_after = true;
    row.samples_after = a.samples_ms.size();
    auto it = index_before.find(keys_after[i]);
    if (it == index_before.end()) {
      only_after.push_back(std::move(row));
      continue;
    }
    const ResultRecord& b = before.results[it->second];
    row.in_before = true;
    row.samples_before = b.samples_ms.size();
    matched.insert(keys_after[i]);
    samples_before.emplace_back(b.samples_ms);
    samples_after.emplace_back(a.samples_ms);
    paired_rows.push_back(out.rows.size());
    out.rows.push_back(std::move(row));
  }

  const std::vector<Comparison> tests = CompareSamples(samples_before, samples_after, options);
  for (size_t k = 0; k < paired_rows.size(); ++k) {
    ConfigurationComparison& row = out.rows[paired_rows[k]];
    row.comparison = tests[k];
    if (row.comparison.regression) {
      ++out.regressions;
    } else if (row.comparison.improvement) {
      ++out.improvements;
    } else {
      ++out.unchanged;
    }
  }
  out.any_regression = out.regressions > 0;

  out.only_after = only_after.size();
  for (ConfigurationComparison& row : only_after) out.rows.push_back(std::move(row));
  for (size_t i = 0; i < keys_before.size(); ++i) {
    if (matched.count(keys_before[i])) continue;
    const ResultRecord& b = before.results[i];
    ConfigurationComparison row;
    row.key = keys_before[i];
    row.label = b.Label();
    row.in_before = true;
    row.samples_before = b.samples_ms.size();
    out.rows.push_back(std::move(row));
    ++out.only_before;
  }
  return out;
}

std::string Verdict(const ConfigurationComparison& row, const RunComparison& runs) {
  if (!row.in_before) return "only in run " + std::to_string(runs.run_after);
  if (!row.in_after) return "only in run " + std::to_string(runs.run_before);
  if (row.comparison.regression) return "regression";
  if (row.comparison.improvement) return "improvement";
  return "no significant change";
}

// For the terminal: labels, commits and statuses come from the database, which anyone may have
// written, so they pass through TerminalSafe.
std::string RenderComparisonText(const RunComparison& c) {
  std::string out = "Run " + std::to_string(c.run_before) + " (" + TerminalSafe(c.started_before) +
                    ") -> run " + std::to_string(c.run_after) + " (" +
                    TerminalSafe(c.started_after) + ")\n\n";
  size_t label_width = 13;
  for (const auto& row : c.rows) {
    label_width = std::max(label_width, Columns(TerminalSafe(row.label)));
  }
  const size_t w = 11;
  out += PadRight("configuration", label_width) + PadLeft("before ms", w) + PadLeft("after ms", w) +
         PadLeft("change", w) + PadLeft("p (Holm)", w) + "  verdict\n";
  for (const auto& row : c.rows) {
    const Comparison& k = row.comparison;
    const bool both = row.in_before && row.in_after;
    out += PadRight(TerminalSafe(row.label), label_width);
    out += PadLeft(both ? FormatMs(k.median_before) : "-", w);
    out += PadLeft(both ? FormatMs(k.median_after) : "-", w);
    out += PadLeft(both ? FormatChange(k.change) : "-", w);
    out += PadLeft(both ? FormatP(k.p_adjusted) : "-", w);
    out += "  " + Verdict(row, c) + "\n";
  }
  if (c.rows.empty()) out += "(neither run has any results)\n";
  out += "\nTest: " + c.test + ".\n";
  for (const std::string& note : c.notes) out += "Note: " + TerminalSafe(note) + ".\n";
  out += std::to_string(c.regressions) + " regression" + (c.regressions == 1 ? "" : "s") + ", " +
         std::to_string(c.improvements) + " improvement" + (c.improvements == 1 ? "" : "s") + ", " +
         std::to_string(c.unchanged) + " with no significant change, " +
         std::to_string(c.only_after) + " only in run " + std::to_string(c.run_after) + ", " +
         std::to_string(c.only_before) + " only in run " + std::to_string(c.run_before) + ".\n";
  return out;
}

nlohmann::json ComparisonToJson(const RunComparison& c) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : c.rows) {
    nlohmann::json j = {{"key", ValidUtf8(row.key)},
                        {"label", ValidUtf8(row.label)},
                        {"in_before", row.in_before},
                        {"in_after", row.in_after},
                        {"samples_before", row.samples_before},
                        {"samples_after", row.samples_after},
                        {"verdict", Verdict(row, c)}};
    if (row.in_before && row.in_after) {
      const Comparison& k = row.comparison;
      j["median_before_ms"] = Number(k.median_before);
      j["median_after_ms"] = Number(k.median_after);
      j["change"] = Number(k.change);
      j["p_value"] = Number(k.p_value);
      j["p_adjusted"] = Number(k.p_adjusted);
      j["significant"] = k.significant;
      j["regression"] = k.regression;
      j["improvement"] = k.improvement;
    }
    rows.push_back(std::move(j));
  }
  return {{"run_before", c.run_before},
          {"run_after", c.run_after},
          {"started_before", ValidUtf8(c.started_before)},
          {"started_after", ValidUtf8(c.started_after)},
          {"test", c.test},
          {"notes", c.notes},
          {"alpha", c.options.alpha},
          {"min_change", c.options.min_change},
          {"any_regression", c.any_regression},
          {"regressions", c.regressions},
          {"improvements", c.improvements},
          {"unchanged", c.unchanged},
          {"only_before", c.only_before},
          {"only_after", c.only_after},
          {"rows", std::move(rows)}};
}

}  // namespace ipfs_accelerate::bench
