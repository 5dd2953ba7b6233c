#include "bench/report_common.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace ipfs_accelerate::bench {
namespace {

std::string Printf(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

std::string FormatMs(double ms) {
  const double a = std::fabs(ms);
  if (a > 0 && a < 0.1) return Printf("%#.3g", ms);  // microseconds: three digits, "0.00550"
  return Printf(a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", ms);
}

std::string FormatChange(double change) {
  if (!std::isfinite(change)) return "n/a";
  if (std::fabs(change) < 0.0005) change = 0;  // "+0.0%", never "-0.0%"
  return Printf("%+.1f%%", change * 100);
}

std::string FormatCiRel(double rel) {
  if (!std::isfinite(rel)) return "n/a";
  return Printf("±%.1f%%", rel * 100);
}

std::string FormatCount(double v) {
  if (!std::isfinite(v)) return "n/a";
  const double a = std::fabs(v);
  return Printf(a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", v);
}

std::string FormatBytes(int64_t bytes) {
  if (bytes <= 0) return "-";
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? std::to_string(bytes) + " B" : Printf("%.1f ", v) + kUnits[unit];
}

std::string FormatP(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 1e-15) return "<1e-15";  // the normal tail underflows long before: say only this much
  return Printf(p < 1e-4 ? "%.1e" : "%.4f", p);
}

std::string ShortCid(const std::string& cid) {
  if (cid.size() <= 16) return cid;
  return cid.substr(0, 8) + "…" + cid.substr(cid.size() - 5);
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points past U+10FFFF.
      uint32_t cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (text[i + k] & 0x3F);
      const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min_cp[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

StatCells FormatStats(const SampleStats& s) {
  if (s.count == 0) return {"-", "-", "-", "-", "-", "-", "-"};
  return {FormatMs(s.median),
          FormatMs(s.p90),
          FormatMs(s.p99),
          FormatMs(s.mean),
          FormatMs(s.stddev),
          s.ci_valid ? FormatMs(s.ci_low) + "\u00a0– " + FormatMs(s.ci_high) : "n < 6",
          FormatCiRel(s.ci_rel)};
}

SampleStats StatsOf(const ResultRecord& result) {
  if (result.samples_ms.empty() || result.stats.count == result.samples_ms.size())
    return result.stats;
  return Summarize(result.samples_ms);
}

std::vector<bool> OutliersOf(const ResultRecord& result) {
  if (result.outlier.size() == result.samples_ms.size()) return result.outlier;
  return FlagOutliers(result.samples_ms);
}

std::string RunName(const RunRecord& run) {
  std::string out = "run " + std::to_string(run.id);
  if (!run.started_at.empty()) out += " · " + run.started_at;
  if (run.status == "interrupted") out += " (interrupted)";
  return out;
}

}  // namespace ipfs_accelerate::bench
