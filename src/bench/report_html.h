// The HTML form of a benchmark report (see report.h): one self-contained page.
#pragma once

#include <string>
#include <vector>

#include "bench/results.h"

namespace ipfs_accelerate::bench {

// The page about the last of `runs` (oldest first): header, hardware, summary table, the three
// charts, and the comparison with the run before when there is one. Inline CSS and SVG only.
std::string RenderHtmlReport(const std::vector<RunRecord>& runs);

}  // namespace ipfs_accelerate::bench
