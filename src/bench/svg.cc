#include "bench/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ipfs_accelerate::bench::svg {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

double LinearScale::operator()(double v) const {
  if (d1 == d0) return (r0 + r1) / 2;
  return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
}

Ticks NiceTicks(double lo, double hi, int target) {
  Ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = hi = 0;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 1e-12 * std::max(std::fabs(lo), std::fabs(hi))) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  if (target < 1) target = 1;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  t.step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  // Integer tick indices, so that long axes do not accumulate rounding error.
  const double first = std::floor(lo / t.step + 1e-9);
  const double last = std::ceil(hi / t.step - 1e-9);
  for (double k = first; k <= last; k += 1) t.values.push_back(k * t.step);
  t.lo = t.values.front();
  t.hi = t.values.back();
  return t;
}

std::string FormatTick(double v, double step) {
  char buf[48];
  if (std::fabs(v) < step * 1e-6) v = 0;  // -0 and rounding noise at the origin
  // Large values in thousands or millions, with the decimals their step needs in that unit.
  if (step >= 1e4 && v != 0) {
    const double unit = step >= 1e5 ? 1e6 : 1e3;
    return FormatTick(v / unit, step / unit) + (unit == 1e6 ? "M" : "k");
  }
  if (step < 1e-4 && v != 0) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  int decimals = 0;
  if (step < 1) decimals = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  // A step like 0.25 needs one more decimal than its order of magnitude.
  const double scaled = step * std::pow(10.0, decimals);
  if (std::fabs(scaled - std::round(scaled)) > 1e-6) ++decimals;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string FormatSi(double v) {
  char buf[48];
  const double a = std::fabs(v);
  if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  } else if (a >= 1e3) {
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

double LogScale::operator()(double v) const {
  if (!(v > 0) || !(d0 > 0) || !(d1 > d0)) return r0;
  return r0 + (std::log10(v) - std::log10(d0)) / (std::log10(d1) - std::log10(d0)) * (r1 - r0);
}

Ticks LogTicks(double lo, double hi) {
  Ticks t;
  if (!(lo > 0)) lo = 1;
  if (!(hi > lo)) hi = lo * 10;
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int last = std::max(first + 1, static_cast<int>(std::ceil(std::log10(hi) - 1e-9)));
  // Over few decades, 2× and 5× ticks between the powers of ten keep the axis readable.
  const bool between = last - first <= 3;
  for (int e = first; e <= last; ++e) {
    const double p = std::pow(10.0, e);
    t.values.push_back(p);
    if (between && e < last) {
      t.values.push_back(2 * p);
      t.values.push_back(5 * p);
    }
  }
  t.lo = t.values.front();
  t.hi = t.values.back();
  t.step = 0;  // not linear
  return t;
}

std::string_view Color(size_t i) {
  // Okabe–Ito, without yellow (too faint on white), then a few darker companions.
  static constexpr std::string_view kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                  "#56B4E9", "#E69F00", "#000000", "#7F3C8D",
                                                  "#11A579", "#3969AC"};
  return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

double TextWidth(std::string_view text, double font_px) {
  // Per-character widths (in em) a little above those of DejaVu Sans and Helvetica, the widest
  // common sans-serif fonts: digits are wider than most lower-case letters.
  double em = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    if (c >= 0x80) {
      em += 0.8;
    } else if (c >= '0' && c <= '9') {
      em += 0.64;
    } else if (c >= 'A' && c <= 'Z') {
      em += 0.72;
    } else if (c == 'm' || c == 'w' || c == 'M' || c == 'W') {
      em += 0.92;
    } else if (c == ' ' || c == 'i' || c == 'l' || c == 'j' || c == '.' || c == ',' || c == ':' ||
               c == '|' || c == '\'') {
      em += 0.32;
    } else if (c == 'f' || c == 't' || c == 'r' || c == '(' || c == ')' || c == '-') {
      em += 0.42;
    } else {
      em += 0.6;
    }
  }
  return em * font_px;
}

std::string FitText(std::string_view text, double max_px, double font_px) {
  if (TextWidth(text, font_px) <= max_px) return std::string(text);
  std::string out(text);
  while (!out.empty() && TextWidth(out, font_px) + font_px * 0.8 > max_px) {
    // Drop one code point: its continuation bytes, then its lead byte.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty()) out.pop_back();
  }
  return out + "…";
}

Ticks FitTicks(double lo, double hi, double pixels, double font_px, std::string_view suffix) {
  Ticks t;
  for (int target = 8; target >= 1; --target) {
    t = NiceTicks(lo, hi, target);
    if (t.values.size() < 2) return t;
    double widest = 0;
    for (size_t i = 0; i < t.values.size(); ++i) {
      std::string label = FormatTick(t.values[i], t.step);
      if (i + 1 == t.values.size()) label += suffix;
      widest = std::max(widest, TextWidth(label, font_px));
    }
    const double spacing = pixels / static_cast<double>(t.values.size() - 1);
    if (widest + font_px <= spacing) return t;
  }
  return t;
}

std::string HorizontalAxis(const LinearScale& scale, const Ticks& ticks, double y, double font_px,
                           std::string_view suffix) {
  std::string out = "<g class=\"axis\"><line x1=\"" + Num(scale(ticks.lo)) + "\" y1=\"" + Num(y) +
                    "\" x2=\"" + Num(scale(ticks.hi)) + "\" y2=\"" + Num(y) + "\"/>";
  for (size_t i = 0; i < ticks.values.size(); ++i) {
    const double x = scale(ticks.values[i]);
    out += "<line x1=\"" + Num(x) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(x) + "\" y2=\"" +
           Num(y + 4) + "\"/>";
    std::string label = FormatTick(ticks.values[i], ticks.step);
    if (i + 1 == ticks.values.size()) label += suffix;
    out += Text(x, y + 5 + font_px, label,
                "text-anchor=\"middle\" font-size=\"" + Num(font_px) + "\"");
  }
  return out + "</g>";
}

std::string Open(std::string_view chart, double width, double height, std::string_view title) {
  return "<svg data-chart=\"" + Escape(chart) + "\" viewBox=\"0 0 " + Num(width) + " " +
         Num(height) + "\" width=\"" + Num(width) + "\" height=\"" + Num(height) +
         "\" role=\"img\" aria-label=\"" + Escape(title) + "\"><title>" + Escape(title) +
         "</title>";
}

std::string Text(double x, double y, std::string_view content, std::string_view attrs) {
  std::string out = "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\"";
  if (!attrs.empty()) out += " " + std::string(attrs);
  return out + ">" + Escape(content) + "</text>";
}

}  // namespace ipfs_accelerate::bench::svg
