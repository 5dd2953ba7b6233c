// The three inline SVG charts of the HTML report. Each is one <svg data-chart="…"> element with
// a <title>, sized in CSS pixels (1100 wide) and scaling down with the page.
#pragma once

#include <string>
#include <vector>

#include "bench/results.h"

namespace ipfs_accelerate::bench {

// data-chart="latency-distribution": per configuration of `run`, a box plot of its samples
// (quartiles, median and its 95% interval, whiskers over the non-outliers) with every sample as a
// point, outliers drawn apart; each row has its own labelled millisecond axis.
std::string LatencyDistributionSvg(const RunRecord& run);

// data-chart="throughput-batch": throughput against batch size, one line per (model, seq,
// threads, scenario, hardware, precision) series, with a legend.
std::string ThroughputBatchSvg(const RunRecord& run);

// data-chart="run-comparison": per configuration of the last of `runs` (not empty), its median and
// 95% interval in each run, and the verdict against the run before; says so when there is only
// one run.
std::string RunComparisonSvg(const std::vector<RunRecord>& runs);

}  // namespace ipfs_accelerate::bench
