// What the report and comparison renderers share: number formats for people, and the statistics and
// outlier marks of a result (recomputed from its samples when the stored ones do not match them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/results.h"
#include "bench/statistics.h"

namespace ipfs_accelerate::bench {

// Milliseconds with three or four significant digits: "0.00512", "0.123", "12.35", "123.4".
std::string FormatMs(double ms);

// A signed percentage with one decimal: "+10.0%", "-3.2%".
std::string FormatChange(double change);

// The interval's relative half-width: "±1.4%", or "n/a" when it is not finite.
std::string FormatCiRel(double rel);

// Three significant digits, thousands kept whole: "0.512", "42.1", "1234".
std::string FormatCount(double v);

// Bytes in binary units: "512 B", "12.5 MiB"; "-" for 0 (not measured).
std::string FormatBytes(int64_t bytes);

// A p-value: "0.0312", "1.2e-08", "<1e-15".
std::string FormatP(double p);

// "bafybeig…x7k2q": the start and the end of a long CID, the whole of a short one.
std::string ShortCid(const std::string& cid);

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD, so that JSON
// serialization of names and commands that users typed cannot fail.
std::string ValidUtf8(std::string_view text);

// The latency columns of a summary row (ms); "-" throughout for a result with no samples, and
// "n < 6" for the interval when there are too few samples for one. The interval "a – b" may break
// only after its dash (a no-break space before it).
struct StatCells {
  std::string p50, p90, p99, mean, stddev, ci, ci_rel;
};
StatCells FormatStats(const SampleStats& s);

// The stored statistics when they describe samples_ms, else statistics computed from samples_ms.
SampleStats StatsOf(const ResultRecord& result);

// The stored outlier marks when there is one per sample, else FlagOutliers(samples_ms).
std::vector<bool> OutliersOf(const ResultRecord& result);

// "run 12 · 2026-11-27T10:33:03Z", with " (interrupted)" when it was.
std::string RunName(const RunRecord& run);

}  // namespace ipfs_accelerate::bench
