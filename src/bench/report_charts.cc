#include "bench/report_charts.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "bench/compare.h"
#include "bench/report_common.h"
#include "bench/svg.h"

namespace ipfs_accelerate::bench {
namespace {

using svg::Num;

constexpr double kWidth = 1100;
constexpr double kFont = 12;
constexpr double kSmallFont = 11;

std::string Line(double x1, double y1, double x2, double y2, std::string_view cls,
                 std::string_view extra = "") {
  std::string out = "<line class=\"" + std::string(cls) + "\" x1=\"" + Num(x1) + "\" y1=\"" +
                    Num(y1) + "\" x2=\"" + Num(x2) + "\" y2=\"" + Num(y2) + "\"";
  if (!extra.empty()) out += " " + std::string(extra);
  return out + "/>";
}

std::string Rect(double x, double y, double w, double h, std::string_view cls) {
  return "<rect class=\"" + std::string(cls) + "\" x=\"" + Num(x) + "\" y=\"" + Num(y) +
         "\" width=\"" + Num(std::max(w, 1.0)) + "\" height=\"" + Num(h) + "\"/>";
}

// A circle; `title` (escaped) becomes its tooltip when not empty.
std::string Circle(double cx, double cy, double r, std::string_view cls, std::string_view extra,
                   std::string_view title = "") {
  std::string out = "<circle class=\"" + std::string(cls) + "\" cx=\"" + Num(cx) + "\" cy=\"" +
                    Num(cy) + "\" r=\"" + Num(r) + "\"";
  if (!extra.empty()) out += " " + std::string(extra);
  if (title.empty()) return out + "/>";
  return out + "><title>" + svg::Escape(title) + "</title></circle>";
}

// An inline fill: it wins over the page's stylesheet, which colours text and marks by class.
std::string Fill(std::string_view color) { return "style=\"fill:" + std::string(color) + "\""; }

// Left column width for row labels: wide enough for the longest, within [min_px, max_px].
double LabelColumn(const std::vector<std::string>& labels, double min_px, double max_px) {
  double widest = 0;
  for (const auto& l : labels) widest = std::max(widest, svg::TextWidth(l, kFont));
  return std::clamp(widest + 8, min_px, max_px);
}

// A deterministic vertical jitter in [-1, 1] for the k-th point (golden-ratio sequence: evenly
// spread for any number of points, the same on every render).
double Jitter(size_t k) {
  const double v = static_cast<double>(k) * 0.6180339887498949;
  return 2 * (v - std::floor(v)) - 1;
}

// Legend items laid out left to right from x: each is a swatch (drawn by the caller's string at
// the given x) followed by its text.
struct LegendItem {
  std::string swatch;  // SVG drawn with its left edge at 0 and its middle at y = 0
  std::string text;
};

std::string Legend(const std::vector<LegendItem>& items, double x, double y) {
  std::string out = "<g class=\"legend\">";
  for (const auto& item : items) {
    out += "<g transform=\"translate(" + Num(x) + "," + Num(y) + ")\">" + item.swatch + "</g>";
    out += svg::Text(x + 20, y + 4, item.text, "font-size=\"11\"");
    x += 20 + svg::TextWidth(item.text, kSmallFont) + 18;
  }
  return out + "</g>";
}

}  // namespace

std::string LatencyDistributionSvg(const RunRecord& run) {
  constexpr double kTop = 40, kRowH = 74, kBottom = 30;
  std::vector<std::string> labels;
  for (const auto& r : run.results) labels.push_back(r.Label());
  const double label_w = LabelColumn(labels, 120, 340);
  const double x0 = label_w + 24, x1 = kWidth - 64;
  const size_t rows = run.results.size();
  const double height = kTop + static_cast<double>(std::max<size_t>(rows, 1)) * kRowH + kBottom;

  std::string out =
      svg::Open("latency-distribution", kWidth, height,
                "Latency distribution per configuration, run " + std::to_string(run.id));
  out += Legend({{Circle(6, 0, 2.5, "pt", ""), "sample"},
                 {Circle(6, 0, 3, "pt out", ""), "outlier (MAD rule)"},
                 {Rect(0, -6, 14, 12, "box"), "quartiles (25–75%)"},
                 {Line(7, -7, 7, 7, "med"), "median"},
                 {Rect(0, -3, 14, 6, "ci"), "95% CI of the median"},
                 {Line(0, 0, 14, 0, "whisker"), "whiskers: range of non-outliers"}},
                8, 18);
  if (rows == 0) {
    out += svg::Text(kWidth / 2, kTop + 30, "No results in this run.", "text-anchor=\"middle\"");
  }
  for (size_t i = 0; i < rows; ++i) {
    const ResultRecord& r = run.results[i];
    const SampleStats s = StatsOf(r);
    const std::vector<bool> outlier = OutliersOf(r);
    std::vector<double> sorted = r.samples_ms;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> kept;
    for (size_t k = 0; k < r.samples_ms.size(); ++k)
      if (!outlier[k]) kept.push_back(r.samples_ms[k]);
    std::sort(kept.begin(), kept.end());
    const double q1 = Quantile(sorted, 0.25), q3 = Quantile(sorted, 0.75);
    const double wlo = kept.empty() ? s.median : kept.front();
    const double whi = kept.empty() ? s.median : kept.back();

    const double top = kTop + static_cast<double>(i) * kRowH;
    const double cy = top + 22;
    out += "<g data-config=\"" + svg::Escape(labels[i]) + "\" data-samples=\"" +
           std::to_string(r.samples_ms.size()) + "\">";
    if (i % 2 == 1) out += Rect(0, top - 4, kWidth, kRowH, "stripe");
    out += "<text x=\"" + Num(label_w) + "\" y=\"" + Num(cy + 4) +
           "\" text-anchor=\"end\"><title>" + svg::Escape(labels[i]) + "</title>" +
           svg::Escape(svg::FitText(labels[i], label_w - 8, kFont)) + "</text>";
    out += svg::Text(label_w, cy + 19,
                     "n=" + std::to_string(r.samples_ms.size()) + " · " +
                         std::to_string(s.outliers) + " outlier" + (s.outliers == 1 ? "" : "s"),
                     "text-anchor=\"end\" font-size=\"10.5\" class=\"sub\"");
    if (sorted.empty()) {
      out += svg::Text(x0, cy + 4, "no samples", "class=\"sub\"") + "</g>";
      continue;
    }
    // The axis covers every sample unless outliers would squeeze the rest into a few pixels:
    // then it covers the non-outliers (and the median's interval) with room to spare, and the
    // samples beyond are drawn at its ends and counted.
    double core_lo = std::min({wlo, q1, s.ci_valid ? s.ci_low : wlo});
    double core_hi = std::max({whi, q3, s.ci_valid ? s.ci_high : whi});
    double span = core_hi - core_lo;
    if (span <= 0) span = std::max(std::fabs(s.median) * 0.02, 1e-6);
    double lo = sorted.front(), hi = sorted.back();
    if (hi - lo > 3 * span) {
      lo = std::max(lo, core_lo - span / 4);
      hi = std::min(hi, core_hi + span / 4);
    }
    const svg::Ticks ticks = svg::FitTicks(lo, hi, x1 - x0, kSmallFont, " ms");
    const svg::LinearScale sx{ticks.lo, ticks.hi, x0, x1};

    out += Rect(sx(q1), cy - 10, sx(q3) - sx(q1), 20, "box");
    out += Line(sx(wlo), cy, sx(q1), cy, "whisker") + Line(sx(q3), cy, sx(whi), cy, "whisker");
    out += Line(sx(wlo), cy - 6, sx(wlo), cy + 6, "whisker");
    out += Line(sx(whi), cy - 6, sx(whi), cy + 6, "whisker");
    size_t below = 0, above = 0;
    double max_beyond = 0, min_beyond = 0;
    for (size_t k = 0; k < r.samples_ms.size(); ++k) {
      const double v = r.samples_ms[k];
      double x = sx(v);
      if (v < ticks.lo) {
        x = x0 - 6;
        min_beyond = below++ == 0 ? v : std::min(min_beyond, v);
      } else if (v > ticks.hi) {
        x = x1 + 6;
        max_beyond = above++ == 0 ? v : std::max(max_beyond, v);
      }
      out += Circle(x, cy + 13 * Jitter(k), outlier[k] ? 3 : 2.2, outlier[k] ? "pt out" : "pt", "");
    }
    if (s.ci_valid) out += Rect(sx(s.ci_low), cy - 4, sx(s.ci_high) - sx(s.ci_low), 8, "ci");
    out += Line(sx(s.median), cy - 11, sx(s.median), cy + 11, "med");
    if (above > 0) {
      out += "<text x=\"" + Num(x1 + 13) + "\" y=\"" + Num(cy + 4) + "\" font-size=\"11\"><title>" +
             std::to_string(above) + " sample(s) beyond the axis, up to " + FormatMs(max_beyond) +
             " ms</title>+" + std::to_string(above) + "</text>";
    }
    if (below > 0) {
      out += "<title>" + std::to_string(below) + " sample(s) below the axis, down to " +
             FormatMs(min_beyond) + " ms</title>";
    }
    out += svg::HorizontalAxis(sx, ticks, top + 46, kSmallFont, " ms");
    out += "</g>";
  }
  out += svg::Text(x0, height - 10,
                   "Latency in ms; each row has its own scale. Points are jittered vertically.",
                   "class=\"sub\" font-size=\"11\"");
  return out + "</svg>";
}

std::string ThroughputBatchSvg(const RunRecord& run) {
  constexpr double kLeft = 80, kRight = 24, kTop = 16, kPlotH = 260;
  const double x0 = kLeft, x1 = kWidth - kRight, y1 = kTop, y0 = kTop + kPlotH;

  // Series: results that differ only in batch size, in the order they first appear.
  std::vector<std::string> series_keys;
  std::map<std::string, std::vector<const ResultRecord*>> series;
  std::map<std::string, std::string> series_label;
  std::vector<int64_t> batches;
  double max_tp = 0, min_tp = 0;
  for (const auto& r : run.results) {
    const std::string key = (r.model_cid.empty() ? r.model_name : r.model_cid) + "|" + r.hardware +
                            "|" + r.precision + "|" + r.scenario + "|" + std::to_string(r.seq) +
                            "|" + std::to_string(r.threads);
    if (!series.count(key)) {
      series_keys.push_back(key);
      std::string label = r.model_name.empty() ? r.model_cid : r.model_name;
      if (r.seq > 0) label += " s" + std::to_string(r.seq);
      label += " t" + std::to_string(r.threads) + " " + r.scenario + " " + r.hardware;
      if (r.precision != "fp32") label += " " + r.precision;
      series_label[key] = label;
    }
    series[key].push_back(&r);
    batches.push_back(r.batch);
    if (std::isfinite(r.throughput) && r.throughput > 0) {
      max_tp = std::max(max_tp, r.throughput);
      min_tp = min_tp > 0 ? std::min(min_tp, r.throughput) : r.throughput;
    }
  }
  std::sort(batches.begin(), batches.end());
  batches.erase(std::unique(batches.begin(), batches.end()), batches.end());

  const double col_w = (x1 - x0) / 2;
  const size_t legend_rows = (series_keys.size() + 1) / 2;
  const double legend_top = y0 + 62;
  const double height = legend_top + static_cast<double>(legend_rows) * 18 + 8;
  std::string out = svg::Open("throughput-batch", kWidth, height,
                              "Throughput against batch size, run " + std::to_string(run.id));

  // Models differ in throughput by orders of magnitude: past a ratio of 20 between the extremes
  // a log axis keeps the slow ones from lying flat on the floor.
  const bool log_y = min_tp > 0 && max_tp / min_tp > 20;
  const svg::Ticks yt =
      log_y ? svg::LogTicks(min_tp, max_tp) : svg::NiceTicks(0, max_tp > 0 ? max_tp : 1, 5);
  const svg::LinearScale lin_y{0, yt.hi, y0, y1};
  const svg::LogScale log_scale{yt.lo, yt.hi, y0, y1};
  auto sy = [&](double v) { return log_y ? log_scale(v) : lin_y(v); };
  auto sx = [&](int64_t batch) {
    const size_t i = std::lower_bound(batches.begin(), batches.end(), batch) - batches.begin();
    if (batches.size() < 2) return (x0 + x1) / 2;
    return x0 + 40 +
           static_cast<double>(i) * (x1 - x0 - 80) / static_cast<double>(batches.size() - 1);
  };
  out += "<g class=\"axis\">";
  for (double v : yt.values) {
    if (v < 0) continue;
    out += Line(x0, sy(v), x1, sy(v), "grid");
    out += svg::Text(x0 - 8, sy(v) + 4, log_y ? svg::FormatSi(v) : svg::FormatTick(v, yt.step),
                     "text-anchor=\"end\" font-size=\"11\"");
  }
  out += Line(x0, y0, x1, y0, "base");
  for (int64_t b : batches) {
    out += Line(sx(b), y0, sx(b), y0 + 4, "base");
    out += svg::Text(sx(b), y0 + 18, std::to_string(b), "text-anchor=\"middle\" font-size=\"11\"");
  }
  out += svg::Text((x0 + x1) / 2, y0 + 38, "batch size", "text-anchor=\"middle\"");
  out += "<text transform=\"rotate(-90)\" x=\"" + Num(-(y0 + y1) / 2) +
         "\" y=\"18\" text-anchor=\"middle\">throughput (items/s" +
         (log_y ? std::string(", log scale") : std::string()) + ")</text></g>";
  if (run.results.empty()) {
    out += svg::Text((x0 + x1) / 2, (y0 + y1) / 2, "No results in this run.",
                     "text-anchor=\"middle\"");
  }

  for (size_t si = 0; si < series_keys.size(); ++si) {
    std::vector<const ResultRecord*> points = series[series_keys[si]];
    std::stable_sort(
        points.begin(), points.end(),
        [](const ResultRecord* a, const ResultRecord* b) { return a->batch < b->batch; });
    const std::string color(svg::Color(si));
    // Past the palette's length, dashes tell series of the same colour apart.
    const std::string dash = si >= 10 ? " stroke-dasharray=\"6 3\"" : "";
    std::string path;
    for (const ResultRecord* r : points) {
      path += (path.empty() ? "M" : " L") + Num(sx(r->batch)) + " " + Num(sy(r->throughput));
    }
    out += "<g data-series=\"" + svg::Escape(series_label[series_keys[si]]) + "\">";
    out += "<path class=\"series\" d=\"" + path + "\" stroke=\"" + color + "\"" + dash + "/>";
    for (const ResultRecord* r : points) {
      out += Circle(sx(r->batch), sy(r->throughput), 4.5, "mark", Fill(color),
                    r->Label() + ": " + FormatCount(r->throughput) + " items/s");
    }
    out += "</g>";
    const double lx = x0 + static_cast<double>(si % 2) * col_w;
    const double ly = legend_top + static_cast<double>(si / 2) * 18;
    out += "<path class=\"series\" d=\"M" + Num(lx) + " " + Num(ly) + " L" + Num(lx + 22) + " " +
           Num(ly) + "\" stroke=\"" + color + "\"" + dash + "/>";
    out += Circle(lx + 11, ly, 4, "mark", Fill(color));
    out += "<text x=\"" + Num(lx + 30) + "\" y=\"" + Num(ly + 4) + "\" font-size=\"11\"><title>" +
           svg::Escape(series_label[series_keys[si]]) + "</title>" +
           svg::Escape(svg::FitText(series_label[series_keys[si]], col_w - 40, kSmallFont)) +
           "</text>";
  }
  return out + "</svg>";
}

std::string RunComparisonSvg(const std::vector<RunRecord>& runs) {
  const RunRecord& last = runs.back();
  const size_t n_runs = runs.size();
  std::vector<std::map<std::string, const ResultRecord*>> by_key(n_runs);
  for (size_t i = 0; i < n_runs; ++i) {
    const std::vector<std::string> keys = MatchKeys(runs[i]);
    for (size_t k = 0; k < keys.size(); ++k) by_key[i][keys[k]] = &runs[i].results[k];
  }
  std::map<std::string, ConfigurationComparison> verdict_rows;
  RunComparison cmp;
  if (n_runs >= 2) {
    cmp = CompareRuns(runs[n_runs - 2], last);
    for (const auto& row : cmp.rows) verdict_rows[row.key] = row;
  }
  const std::vector<std::string> keys = MatchKeys(last);
  std::vector<std::string> labels;
  for (const auto& r : last.results) labels.push_back(r.Label());
  const double label_w = LabelColumn(labels, 120, 340);
  const double run_x = label_w + 16, x0 = label_w + 96, x1 = kWidth - 150;

  // Legend (and the single-run note) on top, wrapped to the width.
  std::string head;
  double y = 18;
  if (n_runs == 1) {
    head += svg::Text(8, y + 4,
                      "Only one run (" + std::to_string(last.id) +
                          ") is in this report: there is nothing earlier to compare with. Its "
                          "medians and 95% intervals are shown alone.",
                      "class=\"note\"");
    y += 22;
  }
  double x = 8;
  for (size_t i = 0; i < n_runs; ++i) {
    const std::string name = RunName(runs[i]);
    const double w = 20 + svg::TextWidth(name, kSmallFont) + 18;
    if (x + w > kWidth - 8 && x > 8) {
      x = 8;
      y += 18;
    }
    head += Circle(x + 6, y, 4, "mark", Fill(svg::Color(i)));
    head += svg::Text(x + 16, y + 4, name, "font-size=\"11\"");
    x += w;
  }
  const double panel_h = 12 + static_cast<double>(n_runs) * 16 + 30;
  const double top0 = y + 16;
  const double height = top0 + static_cast<double>(std::max<size_t>(keys.size(), 1)) * panel_h + 8;
  std::string out = svg::Open("run-comparison", kWidth, height,
                              "Median latency with its 95% interval per configuration across " +
                                  std::to_string(n_runs) + " run" + (n_runs == 1 ? "" : "s"));
  out += head;
  if (keys.empty()) {
    out += svg::Text(kWidth / 2, top0 + 30, "No results in this run.", "text-anchor=\"middle\"");
  }

  for (size_t k = 0; k < keys.size(); ++k) {
    const double top = top0 + static_cast<double>(k) * panel_h;
    out += "<g data-config=\"" + svg::Escape(labels[k]) + "\">";
    if (k % 2 == 1) out += Rect(0, top - 6, kWidth, panel_h, "stripe");
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::vector<SampleStats> stats(n_runs);
    std::vector<bool> present(n_runs, false);
    for (size_t i = 0; i < n_runs; ++i) {
      auto it = by_key[i].find(keys[k]);
      if (it == by_key[i].end() || it->second->samples_ms.empty()) continue;
      present[i] = true;
      stats[i] = StatsOf(*it->second);
      lo = std::min({lo, stats[i].ci_low, stats[i].median});
      hi = std::max({hi, stats[i].ci_high, stats[i].median});
    }
    const double row0 = top + 12;
    const double label_y = row0 + static_cast<double>(n_runs - 1) * 8 + 4;
    out += "<text x=\"" + Num(label_w) + "\" y=\"" + Num(label_y) +
           "\" text-anchor=\"end\"><title>" + svg::Escape(labels[k]) + "</title>" +
           svg::Escape(svg::FitText(labels[k], label_w - 8, kFont)) + "</text>";
    if (!std::isfinite(lo)) lo = hi = 0;
    const svg::Ticks ticks = svg::FitTicks(lo, hi, x1 - x0, kSmallFont, " ms");
    const svg::LinearScale sx{ticks.lo, ticks.hi, x0, x1};
    for (size_t i = 0; i < n_runs; ++i) {
      const double ry = row0 + static_cast<double>(i) * 16;
      const std::string color(svg::Color(i));
      out += svg::Text(run_x, ry + 4, "run " + std::to_string(runs[i].id),
                       "font-size=\"11\" " + Fill(color));
      if (!present[i]) {
        out += svg::Text(x0 + 4, ry + 4, "not measured", "class=\"sub\" font-size=\"10.5\"");
        continue;
      }
      const SampleStats& s = stats[i];
      const std::string stroke = "stroke=\"" + color + "\"";
      const std::string dashed = s.ci_valid ? stroke : stroke + " stroke-dasharray=\"3 2\"";
      out += Line(sx(s.ci_low), ry, sx(s.ci_high), ry, "err", dashed);
      out += Line(sx(s.ci_low), ry - 4, sx(s.ci_low), ry + 4, "err", stroke);
      out += Line(sx(s.ci_high), ry - 4, sx(s.ci_high), ry + 4, "err", stroke);
      out += Circle(sx(s.median), ry, 4, "mark", Fill(color),
                    RunName(runs[i]) + ": median " + FormatMs(s.median) + " ms, 95% CI " +
                        (s.ci_valid ? FormatMs(s.ci_low) + "–" + FormatMs(s.ci_high) + " ms"
                                    : "not available (n < 6)"));
    }
    auto v = verdict_rows.find(keys[k]);
    if (v != verdict_rows.end()) {
      const ConfigurationComparison& row = v->second;
      const std::string verdict = Verdict(row, cmp);
      std::string text = verdict;
      if (row.in_before && row.in_after) {
        text = FormatChange(row.comparison.change) + " " +
               (verdict == "no significant change" ? "n.s." : verdict);
      }
      const std::string cls = row.comparison.regression    ? "bad"
                              : row.comparison.improvement ? "good"
                                                           : "sub";
      out += "<text x=\"" + Num(x1 + 16) + "\" y=\"" +
             Num(row0 + static_cast<double>(n_runs - 1) * 16 + 4) + "\" class=\"" + cls +
             "\" font-size=\"11\"><title>" + svg::Escape(verdict) +
             ", p (Holm) = " + FormatP(row.comparison.p_adjusted) + "</title>" + svg::Escape(text) +
             "</text>";
    }
    out += svg::HorizontalAxis(sx, ticks, row0 + static_cast<double>(n_runs) * 16 - 4, kSmallFont,
                               " ms");
    out += "</g>";
  }
  return out + "</svg>";
}

}  // namespace ipfs_accelerate::bench
