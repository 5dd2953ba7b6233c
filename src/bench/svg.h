// Small helpers for hand-written SVG charts: escaping, number formatting, linear scales, "nice"
// axis ticks, a colour palette and text-width estimates for layout.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ipfs_accelerate::bench::svg {

// `text` with & < > " ' replaced by entities: safe in HTML/SVG text and in quoted attributes.
std::string Escape(std::string_view text);

// A coordinate for an SVG attribute: at most two decimals, no trailing zeros, "0" for non-finite.
std::string Num(double v);

// Maps the domain [d0, d1] linearly onto the range [r0, r1]; a zero-width domain maps to the
// middle of the range.
struct LinearScale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  double operator()(double v) const;
};

struct Ticks {
  std::vector<double> values;  // ascending, from lo to hi
  double step = 1;
  double lo = 0, hi = 1;  // the outer ticks: [lo, hi] covers the requested interval
};

// About `target` ticks at multiples of 1, 2 or 5 × 10^k covering [lo, hi]; an empty or zero-width
// interval is widened around its value first.
Ticks NiceTicks(double lo, double hi, int target = 5);

// A tick label with just the decimals `step` needs: "0.25", "120"; steps of 10 000 and more in
// thousands or millions: "250k", "1.2M".
std::string FormatTick(double v, double step);

// A short label for a tick of a log axis: "200", "5k", "1.5M".
std::string FormatSi(double v);

// Maps [d0, d1] (0 < d0 < d1) onto [r0, r1] logarithmically; values ≤ 0 map to r0.
struct LogScale {
  double d0 = 1, d1 = 10, r0 = 0, r1 = 1;
  double operator()(double v) const;
};

// Ticks of a log axis covering [lo, hi]: the powers of ten around it, with 2× and 5× between
// them when it spans three decades or fewer; lo and hi are the outer ticks.
Ticks LogTicks(double lo, double hi);

// The i-th colour (cycled) of a categorical palette that stays distinct for colour-blind readers.
std::string_view Color(size_t i);

// A conservative width estimate (px) of `text` in a sans-serif font of `font_px`.
double TextWidth(std::string_view text, double font_px);

// `text`, cut with "…" so that TextWidth stays within `max_px`.
std::string FitText(std::string_view text, double max_px, double font_px);

// Nice ticks for [lo, hi] drawn along `pixels`: as many as fit with labels of `font_px` (and
// `suffix` on the last one) at least a label's width plus a gap apart.
Ticks FitTicks(double lo, double hi, double pixels, double font_px, std::string_view suffix = "");

// A horizontal axis at height `y` for `scale` (domain = [ticks.lo, ticks.hi]): the line, a tick
// mark and a centred label (font `font_px`) under each tick, `suffix` appended to the last label.
std::string HorizontalAxis(const LinearScale& scale, const Ticks& ticks, double y, double font_px,
                           std::string_view suffix = "");

// An opening <svg> tag (no namespace URL: it is inline in HTML) with data-chart="chart", a viewBox
// of width × height and a <title>.
std::string Open(std::string_view chart, double width, double height, std::string_view title);

// <text> at (x, y) with `attrs` (e.g. "text-anchor=\"end\""), its content escaped.
std::string Text(double x, double y, std::string_view content, std::string_view attrs = "");

}  // namespace ipfs_accelerate::bench::svg
