// Reports of benchmark runs: one self-contained HTML page (tables and inline SVG charts),
// Markdown, or JSON with every sample.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/results.h"
#include "core/status.h"

namespace ipfs_accelerate::bench {

enum class ReportFormat { kHtml, kMarkdown, kJson };

// "html", "md" or "json"; anything else is an InvalidArgument naming the three.
Result<ReportFormat> ParseReportFormat(std::string_view name);

// Renders a report about the last of `runs` (oldest first); the earlier runs are its history for
// the run-to-run comparison. HTML needs nothing beyond the page itself (no scripts, no URLs); JSON
// holds every sample, and the comparison of the last two runs when there are two or more.
std::string RenderReport(const std::vector<RunRecord>& runs, ReportFormat format);

}  // namespace ipfs_accelerate::bench
