#include "core/tensor_summary.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/half.h"

namespace ipfs_accelerate {
namespace {

// Element i of `t` as a double; `ok` false for dtypes without numbers.
double At(const Tensor& t, int64_t i, bool* ok) {
  *ok = true;
  switch (t.dtype()) {
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kFloat64:
      return t.data<double>()[i];
    case DType::kFloat16:
      return HalfToFloat(t.data<uint16_t>()[i]);
    case DType::kBFloat16:
      return BFloat16ToFloat(t.data<uint16_t>()[i]);
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kUInt8:
      return t.data<uint8_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kUInt16:
      return t.data<uint16_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    case DType::kUInt32:
      return t.data<uint32_t>()[i];
    case DType::kInt64:
      return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kUInt64:
      return static_cast<double>(t.data<uint64_t>()[i]);
    case DType::kBool:
      return t.data<uint8_t>()[i] ? 1 : 0;  // any byte, not only 0/1
    default:
      *ok = false;
      return 0;
  }
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

nlohmann::json JsonNumber(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(Num(v));  // "inf", "-inf", "nan"
}

}  // namespace

TensorSummary Summarize(const Tensor& t, size_t first_n) {
  TensorSummary s;
  s.dtype = t.dtype();
  s.shape = t.shape();
  if (!t.defined() || DTypeSize(t.dtype()) == 0) return s;
  s.count = t.numel();
  bool ok = true;
  if (s.count > 0) At(t, 0, &ok);
  s.numeric = ok;
  if (!ok) return s;
  double sum = 0;
  int64_t counted = 0;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < s.count; ++i) {
    double v = At(t, i, &ok);
    if (static_cast<size_t>(i) < first_n) s.first.push_back(v);
    if (std::isnan(v)) {
      ++s.nan;
      continue;
    }
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    sum += v;
    ++counted;
  }
  if (counted == 0) s.min = s.max = std::numeric_limits<double>::quiet_NaN();
  s.mean = counted ? sum / counted : std::numeric_limits<double>::quiet_NaN();
  return s;
}

std::string SummaryText(const TensorSummary& s) {
  std::string out = DTypeName(s.dtype) + " " + ShapeToString(s.shape);
  if (!s.numeric || s.count == 0) return out;
  out += " min=" + Num(s.min) + " max=" + Num(s.max) + " mean=" + Num(s.mean);
  if (s.nan) out += " nan=" + std::to_string(s.nan);
  out += " first:";
  for (double v : s.first) out += " " + Num(v);
  if (s.count > static_cast<int64_t>(s.first.size())) out += " …";
  return out;
}

nlohmann::json SummaryJson(const TensorSummary& s) {
  nlohmann::json j = {{"dtype", DTypeName(s.dtype)}, {"shape", s.shape}, {"count", s.count}};
  bool stats = s.numeric && s.count > 0;
  j["min"] = stats ? JsonNumber(s.min) : nlohmann::json(nullptr);
  j["max"] = stats ? JsonNumber(s.max) : nlohmann::json(nullptr);
  j["mean"] = stats ? JsonNumber(s.mean) : nlohmann::json(nullptr);
  j["nan"] = s.nan;
  nlohmann::json first = nlohmann::json::array();
  for (double v : s.first) first.push_back(JsonNumber(v));
  j["first"] = std::move(first);
  return j;
}

}  // namespace ipfs_accelerate
