#include "core/parse_number.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/json_util.h"

namespace ipfs_accelerate {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The text as it was given, quoted (and cut short when long), safe to print.
std::string Shown(std::string_view text) {
  std::string t(text.substr(0, 64));
  if (text.size() > 64) t += "…";
  return DumpJson(nlohmann::json(t));
}

std::string Range(double min, double max) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%g to %g", min, max);
  return buf;
}

// `t` without one leading '+' (from_chars takes only '-'); "+-1" stays invalid.
std::string_view SkipPlus(std::string_view t) {
  if (t.size() >= 2 && t[0] == '+' && t[1] != '-') t.remove_prefix(1);
  return t;
}

}  // namespace

Result<int64_t> ParseInt(std::string_view text, std::string_view what, int64_t min, int64_t max) {
  std::string_view t = SkipPlus(Trim(text));
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < min || v > max) {
    std::string range =
        min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max()
            ? "an integer"
            : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    return Status::InvalidArgument(std::string(what) + " wants " + range + ", got " + Shown(text));
  }
  return v;
}

Result<double> ParseNumber(std::string_view text, std::string_view what, double min, double max) {
  std::string_view t = SkipPlus(Trim(text));
  double v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v) ||
      v < min || v > max) {
    std::string range =
        min == -std::numeric_limits<double>::max() && max == std::numeric_limits<double>::max()
            ? "a number"
            : "a number from " + Range(min, max);
    return Status::InvalidArgument(std::string(what) + " wants " + range + ", got " + Shown(text));
  }
  return v;
}

}  // namespace ipfs_accelerate
