#include "core/half.h"

#include <algorithm>
#include <cmath>

namespace ipfs_accelerate {

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  uint32_t ax = x & 0x7fffffff;
  if (ax >= 0x7f800000) return sign | (ax > 0x7f800000 ? 0x7e00 : 0x7c00);  // NaN, Inf
  if (ax >= 0x477ff000) return sign | 0x7c00;  // >= 65520 rounds to infinity
  if (ax < 0x38800000) {
    // Below the smallest normal half: adding 0.5 leaves the value rounded (to nearest even) to a
    // multiple of 2^-24 in the low mantissa bits.
    float a, half = 0.5f;
    std::memcpy(&a, &ax, 4);
    a += half;
    uint32_t r;
    std::memcpy(&r, &a, 4);
    return static_cast<uint16_t>(sign | (r - 0x3f000000));
  }
  const uint32_t odd = (ax >> 13) & 1;
  ax += (static_cast<uint32_t>(15 - 127) << 23) + 0xfff + odd;
  return static_cast<uint16_t>(sign | (ax >> 13));
}

uint16_t DoubleToHalf(double d) {
  const uint16_t sign = std::signbit(d) ? 0x8000 : 0;
  if (std::isnan(d)) return sign | 0x7e00;
  double a = std::fabs(d);
  if (a >= 65520.0) return sign | 0x7c00;
  if (a < 6.103515625e-05) {  // 2^-14: subnormal, in units of 2^-24
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0));
  }
  int e;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  const int exp = e - 1;
  // Mantissa with the implicit bit, in [1024, 2048]; 2048 carries into the exponent.
  const auto q = static_cast<uint32_t>(std::nearbyint(std::ldexp(a, 10 - exp)));
  return sign | static_cast<uint16_t>((static_cast<uint32_t>(exp + 15) << 10) + (q - 1024));
}

uint16_t DoubleToBFloat16(double d) {
  // Rounding to float first could round twice; round to 8 mantissa bits in double instead.
  if (std::isnan(d)) return FloatToBFloat16(static_cast<float>(d));
  const double a = std::fabs(d);
  if (a == 0 || std::isinf(a)) return FloatToBFloat16(static_cast<float>(d));
  int e;
  std::frexp(a, &e);
  const int exp = std::max(e - 1, -126);  // subnormals share the minimum exponent
  double r = std::ldexp(std::nearbyint(std::ldexp(a, 7 - exp)), exp - 7);
  return FloatToBFloat16(static_cast<float>(std::copysign(r, d)));
}

}  // namespace ipfs_accelerate
