// Comparison of two benchmark runs: configurations matched by their key, each pair tested for a
// change of its latency distribution, the verdicts rendered for people (text) and machines (JSON).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/results.h"
#include "bench/statistics.h"

namespace ipfs_accelerate::bench {

// One configuration of either run.
struct ConfigurationComparison {
  std::string key;    // ResultRecord::Key()
  std::string label;  // ResultRecord::Label() (of the later run when both have it)
  bool in_before = false, in_after = false;
  size_t samples_before = 0, samples_after = 0;
  Comparison comparison;  // meaningful only when in_before && in_after
};

struct RunComparison {
  int64_t run_before = 0, run_after = 0;  // run ids
  std::string started_before, started_after;
  CompareOptions options;
  std::string test;  // DescribeCompareTest(options)
  // Configurations in both runs (in the later run's order), then those only in the later run,
  // then those only in the earlier one.
  std::vector<ConfigurationComparison> rows;
  // What to keep in mind reading the verdicts: the same build on the same hardware (differences
  // are the machine's state), different hardware, runs that did not complete.
  std::vector<std::string> notes;
  bool any_regression = false;
  size_t regressions = 0, improvements = 0, unchanged = 0, only_before = 0, only_after = 0;
};

// Per result of `run`, the key that matches it across runs: Key(), plus "#k" for the k-th
// repetition (k ≥ 2) of a key within the run.
std::vector<std::string> MatchKeys(const RunRecord& run);

// Compares `after` with `before`: every configuration present in both (by Key(); a key repeated
// within a run is matched occurrence by occurrence) is tested on its samples_ms, with Holm across
// all of them; configurations present in one run only are listed as such.
RunComparison CompareRuns(const RunRecord& before, const RunRecord& after,
                          const CompareOptions& options = {});

// "regression", "improvement", "no significant change", or "only in run N" (N: the run id).
std::string Verdict(const ConfigurationComparison& row, const RunComparison& runs);

// A table for people: before/after medians (ms), change %, p-value, verdict; the test used; a
// one-line tally. Ends with a newline.
std::string RenderComparisonText(const RunComparison& comparison);

// Every field of the comparison, with each row's verdict, as JSON: non-finite numbers as null,
// strings made valid UTF-8 so that dump() cannot throw.
nlohmann::json ComparisonToJson(const RunComparison& comparison);

}  // namespace ipfs_accelerate::bench
