#include "models/image_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ipfs_accelerate::models {
namespace {

RgbImage Blank(int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.rgb.resize(static_cast<size_t>(width) * height * 3);
  return out;
}

// OpenCV's INTER_LINEAR taps for one axis: the two source indices and their weights in 1/2048ths
// (OpenCV's fixed point), with the half-pixel centre convention and clamping at the borders.
struct LinearTaps {
  std::vector<int> i0, i1;
  std::vector<int32_t> w0, w1;
};

LinearTaps MakeTaps(int src, int dst) {
  constexpr int kScale = 2048;
  LinearTaps t;
  t.i0.resize(dst);
  t.i1.resize(dst);
  t.w0.resize(dst);
  t.w1.resize(dst);
  const double scale = static_cast<double>(src) / dst;
  for (int d = 0; d < dst; ++d) {
    double f = (d + 0.5) * scale - 0.5;
    int s = static_cast<int>(std::floor(f));
    f -= s;
    if (s < 0) {
      s = 0;
      f = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      f = 0;
    }
    t.i0[d] = s;
    t.i1[d] = std::min(s + 1, src - 1);
    t.w0[d] = static_cast<int32_t>(std::lround((1.0 - f) * kScale));
    t.w1[d] = kScale - t.w0[d];
  }
  return t;
}

// Keys' cubic convolution weights for the taps at -1, 0, 1, 2 around a fraction f in [0, 1).
void CubicWeights(double f, double w[4]) {
  constexpr double a = -0.75;
  auto near = [](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };       // |t| <= 1
  auto far = [](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };  // 1 < |t| < 2
  w[0] = far(1 + f);
  w[1] = near(f);
  w[2] = near(1 - f);
  w[3] = 1 - w[0] - w[1] - w[2];
}

// Filter taps for one axis: per output index, the first source index and the weights of the
// source indices from there (borders clamped, weights summing to 1).
struct FilterTaps {
  std::vector<int> first;
  std::vector<std::vector<float>> weights;
};

double Lanczos3(double x) {
  constexpr double kPi = 3.14159265358979323846;
  if (x == 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const double px = kPi * x;
  return 3 * std::sin(px) * std::sin(px / 3) / (px * px);
}

// Catmull-Rom (Keys' cubic with a = -0.5).
double CatmullRom(double t) {
  t = std::abs(t);
  if (t <= 1) return (1.5 * t - 2.5) * t * t + 1;
  if (t < 2) return ((-0.5 * t + 2.5) * t - 4) * t + 2;
  return 0;
}

// Taps for one axis scaled by `scale`: enlarging with Catmull-Rom as vips_affine samples (output x
// at input x / scale - 0.5) when `vips_enlarge`, else with Lanczos-3; shrinking with Lanczos-3
// widened by the shrink factor; pixel centres aligned (as vips_reduce) except for vips_affine.
FilterTaps MakeTaps(int src, int dst, double scale, bool vips_enlarge) {
  FilterTaps t;
  t.first.resize(dst);
  t.weights.resize(dst);
  const bool cubic = vips_enlarge && scale > 1;
  const double stretch = std::max(1 / scale, 1.0);
  const double support = cubic ? 2 : 3 * stretch;
  for (int d = 0; d < dst; ++d) {
    const double centre = cubic ? d / scale - 0.5 : (d + 0.5) / scale - 0.5;
    const int lo = static_cast<int>(std::floor(centre - support)) + 1;
    const int hi = static_cast<int>(std::ceil(centre + support)) - 1;
    const int first = std::clamp(lo, 0, src - 1), last = std::clamp(hi, 0, src - 1);
    std::vector<double> w(last - first + 1, 0.0);
    double sum = 0;
    for (int i = lo; i <= hi; ++i) {
      const double x = (i - centre) / stretch;
      const double v = cubic ? CatmullRom(x) : Lanczos3(x);
      w[std::clamp(i, 0, src - 1) - first] += v;
      sum += v;
    }
    t.first[d] = first;
    t.weights[d].resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) t.weights[d][i] = static_cast<float>(w[i] / sum);
  }
  return t;
}

// Applies per-axis taps: rows first, into floats; then columns.
RgbImage Separable(const RgbImage& image, const FilterTaps& xs, const FilterTaps& ys) {
  const int width = static_cast<int>(xs.first.size()), height = static_cast<int>(ys.first.size());
  std::vector<float> rows(static_cast<size_t>(image.height) * width * 3);
  for (int y = 0; y < image.height; ++y) {
    float* dst = &rows[static_cast<size_t>(y) * width * 3];
    for (int x = 0; x < width; ++x) {
      const uint8_t* src = image.Pixel(xs.first[x], y);
      float acc[3] = {0, 0, 0};
      for (size_t i = 0; i < xs.weights[x].size(); ++i) {
        for (int c = 0; c < 3; ++c) acc[c] += xs.weights[x][i] * src[i * 3 + c];
      }
      for (int c = 0; c < 3; ++c) dst[x * 3 + c] = acc[c];
    }
  }
  RgbImage out = Blank(width, height);
  const size_t stride = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    uint8_t* dst = &out.rgb[y * stride];
    for (size_t k = 0; k < stride; ++k) {
      float acc = 0;
      const float* src = &rows[ys.first[y] * stride + k];
      for (size_t i = 0; i < ys.weights[y].size(); ++i) acc += ys.weights[y][i] * src[i * stride];
      dst[k] = static_cast<uint8_t>(std::clamp(std::lround(acc), 0L, 255L));
    }
  }
  return out;
}

}  // namespace

RgbImage ResizeSharp(const RgbImage& image, int width, int height, double scale_x, double scale_y) {
  return Separable(image, MakeTaps(image.width, width, scale_x, true),
                   MakeTaps(image.height, height, scale_y, true));
}

RgbImage ResizeLanczos3(const RgbImage& image, int width, int height) {
  return Separable(
      image, MakeTaps(image.width, width, static_cast<double>(width) / image.width, false),
      MakeTaps(image.height, height, static_cast<double>(height) / image.height, false));
}

RgbImage Resize(const RgbImage& image, int width, int height, Resampling resampling) {
  return resampling == Resampling::kLanczos3 ? ResizeLanczos3(image, width, height)
                                             : ResizeBilinear(image, width, height);
}

RgbImage ResizeBilinear(const RgbImage& image, int width, int height) {
  RgbImage out = Blank(width, height);
  const LinearTaps xs = MakeTaps(image.width, width);
  const LinearTaps ys = MakeTaps(image.height, height);
  for (int y = 0; y < height; ++y) {
    const uint8_t* r0 = image.Pixel(0, ys.i0[y]);
    const uint8_t* r1 = image.Pixel(0, ys.i1[y]);
    uint8_t* dst = &out.rgb[static_cast<size_t>(y) * width * 3];
    for (int x = 0; x < width; ++x) {
      const int a = xs.i0[x] * 3, b = xs.i1[x] * 3;
      for (int c = 0; c < 3; ++c) {
        const int64_t top = int64_t{r0[a + c]} * xs.w0[x] + int64_t{r0[b + c]} * xs.w1[x];
        const int64_t bottom = int64_t{r1[a + c]} * xs.w0[x] + int64_t{r1[b + c]} * xs.w1[x];
        dst[x * 3 + c] =
            static_cast<uint8_t>((top * ys.w0[y] + bottom * ys.w1[y] + (1 << 21)) >> 22);
      }
    }
  }
  return out;
}

RgbImage PlaceOnCanvas(const RgbImage& image, int width, int height, int left, int top,
                       uint8_t fill) {
  RgbImage out = Blank(width, height);
  std::fill(out.rgb.begin(), out.rgb.end(), fill);
  const int x0 = std::max(left, 0), x1 = std::min(left + image.width, width);
  if (x1 <= x0) return out;
  for (int y = std::max(top, 0); y < std::min(top + image.height, height); ++y) {
    std::memcpy(&out.rgb[(static_cast<size_t>(y) * width + x0) * 3],
                image.Pixel(x0 - left, y - top), static_cast<size_t>(x1 - x0) * 3);
  }
  return out;
}

RgbImage WarpPerspective(const RgbImage& image, const std::array<double, 9>& m, int width,
                         int height) {
  RgbImage out = Blank(width, height);
  if (image.width <= 0 || image.height <= 0) return out;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double w = m[6] * x + m[7] * y + m[8];
      const double sx = w != 0 ? (m[0] * x + m[1] * y + m[2]) / w : 0;
      const double sy = w != 0 ? (m[3] * x + m[4] * y + m[5]) / w : 0;
      // Far outside, every tap is the nearest border pixel anyway.
      const double cx = std::clamp(sx, -2.0, image.width + 1.0);
      const double cy = std::clamp(sy, -2.0, image.height + 1.0);
      const int ix = static_cast<int>(std::floor(cx)), iy = static_cast<int>(std::floor(cy));
      double wx[4], wy[4];
      CubicWeights(cx - ix, wx);
      CubicWeights(cy - iy, wy);
      double sum[3] = {0, 0, 0};
      for (int j = 0; j < 4; ++j) {
        const int yy = std::clamp(iy - 1 + j, 0, image.height - 1);
        double row[3] = {0, 0, 0};
        for (int i = 0; i < 4; ++i) {
          const uint8_t* p = image.Pixel(std::clamp(ix - 1 + i, 0, image.width - 1), yy);
          for (int c = 0; c < 3; ++c) row[c] += wx[i] * p[c];
        }
        for (int c = 0; c < 3; ++c) sum[c] += wy[j] * row[c];
      }
      uint8_t* dst = &out.rgb[(static_cast<size_t>(y) * width + x) * 3];
      for (int c = 0; c < 3; ++c) {
        dst[c] = static_cast<uint8_t>(std::clamp(std::lround(sum[c]), 0L, 255L));
      }
    }
  }
  return out;
}

RgbImage Rotate90CounterClockwise(const RgbImage& image) {
  RgbImage out = Blank(image.height, image.width);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // The top row of the result is the rightmost column of the input.
      std::memcpy(&out.rgb[(static_cast<size_t>(y) * out.width + x) * 3],
                  image.Pixel(image.width - 1 - y, x), 3);
    }
  }
  return out;
}

RgbImage Rotate180(const RgbImage& image) {
  RgbImage out = Blank(image.width, image.height);
  const size_t n = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) std::memcpy(&out.rgb[i * 3], &image.rgb[(n - 1 - i) * 3], 3);
  return out;
}

RgbImage CropTextLine(const RgbImage& image, const Quad& box) {
  const int width = static_cast<int>(std::max(Distance(box[0], box[1]), Distance(box[2], box[3])));
  const int height = static_cast<int>(std::max(Distance(box[0], box[3]), Distance(box[1], box[2])));
  if (width < 1 || height < 1) return {};
  const Quad target = {PointF{0, 0}, PointF{static_cast<double>(width), 0},
                       PointF{static_cast<double>(width), static_cast<double>(height)},
                       PointF{0, static_cast<double>(height)}};
  std::array<double, 9> to_image;
  if (!PerspectiveTransform(target, box, &to_image)) return {};
  RgbImage line = WarpPerspective(image, to_image, width, height);
  if (height >= 1.5 * width) return Rotate90CounterClockwise(line);
  return line;
}

}  // namespace ipfs_accelerate::models
