#include "engine/ops/signal.h"

#include <string>

#include "engine/ops/attributes.h"

namespace ipfs_accelerate::engine::ops {
namespace {

std::string S(const Shape& s) { return ShapeToString(s); }

// A 0/1 attribute.
Result<bool> FlagAttr(const Node& n, const char* name, int64_t fallback) {
  IA_ASSIGN_OR_RETURN(int64_t v, IntAttrOr(n, name, fallback));
  if (v != 0 && v != 1)
    return NodeError(n, std::string(name) + " must be 0 or 1, got " + std::to_string(v));
  return v == 1;
}

// output_datatype (default float32): one of the numeric types the ops' T2/T3 allow.
Result<DType> OutputDatatype(const Node& n) {
  IA_ASSIGN_OR_RETURN(int64_t v, IntAttrOr(n, "output_datatype", 1));
  const DType d = v >= 0 && v <= 64 ? DTypeFromOnnx(static_cast<int32_t>(v)) : DType::kUndefined;
  switch (d) {
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64:
      return d;
    default:
      return NodeError(n, "output_datatype " + std::to_string(v) +
                              " is not a numeric tensor type (an integer or floating-point type)");
  }
}

// numpy's floor division of doubles (npy_divmod), which the reference's `//` on float arrays
// runs: floor((a - fmod(a, b)) / b), adjusted, rather than floor(a / b).
double FloorDivide(double a, double b) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) div -= 1.0;
  }
  if (div == 0) return std::copysign(0.0, a / b);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

}  // namespace

Result<WindowAttrs> ReadWindow(const Node& n) {
  WindowAttrs a;
  if (n.op_type == "HannWindow") {
    a.kind = WindowKind::kHann;
  } else if (n.op_type == "HammingWindow") {
    a.kind = WindowKind::kHamming;
  } else if (n.op_type == "BlackmanWindow") {
    a.kind = WindowKind::kBlackman;
  } else {
    return NodeError(n, "is not HannWindow, HammingWindow or BlackmanWindow");
  }
  IA_ASSIGN_OR_RETURN(a.periodic, FlagAttr(n, "periodic", 1));
  IA_ASSIGN_OR_RETURN(a.output, OutputDatatype(n));
  return a;
}

Result<Shape> WindowShape(const Node& n, int64_t size) {
  if (size < 0) return NodeError(n, "size must not be negative, got " + std::to_string(size));
  return Shape{size};
}

Result<DftAttrs> ReadDft(const Node& n) {
  DftAttrs a;
  IA_ASSIGN_OR_RETURN(a.inverse, FlagAttr(n, "inverse", 0));
  IA_ASSIGN_OR_RETURN(a.onesided, FlagAttr(n, "onesided", 0));
  return a;
}

Result<int> DftAxis(const Node& n, int64_t rank, const int64_t* axis_input) {
  int64_t axis;
  const char* what;
  if (n.opset >= 20) {
    axis = axis_input ? *axis_input : -2;
    what = "axis (input 2)";
  } else {
    IA_ASSIGN_OR_RETURN(axis, IntAttrOr(n, "axis", 1));
    what = "axis";
  }
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  if (rank < 2 || normalized < 0 || normalized > rank - 2) {
    return NodeError(n, std::string(what) + " " + std::to_string(axis) +
                            " is out of range for an input of rank " + std::to_string(rank) +
                            " (expected [" + std::to_string(-rank) + ", -2] or [0, " +
                            std::to_string(rank - 2) +
                            "]: the last dim holds the real and imaginary parts)");
  }
  return static_cast<int>(normalized);
}

Result<DftGeometry> DftShape(const Node& n, const DftAttrs& a, const Shape& x, int axis,
                             const int64_t* dft_length) {
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank < 2 || (x.back() != 1 && x.back() != 2)) {
    return NodeError(n,
                     "input must be [batch, signal dims..., 1 (real) or 2 (complex)], got " + S(x));
  }
  if (axis < 0 || axis > rank - 2) {
    return NodeError(n, "axis " + std::to_string(axis) + " is out of range for input " + S(x));
  }
  DftGeometry g;
  g.axis = axis;
  g.complex = x.back() == 2;
  g.length = x[axis];
  if (dft_length) {
    if (*dft_length < 1)
      return NodeError(n, "dft_length must be at least 1, got " + std::to_string(*dft_length));
    g.n = *dft_length;
  } else {
    if (g.length < 1)
      return NodeError(n, "the signal along axis " + std::to_string(axis) + " of input " + S(x) +
                              " is empty and no dft_length is given");
    g.n = g.length;
  }
  g.bins = a.onesided ? g.n / 2 + 1 : g.n;
  g.output = x;
  g.output[axis] = g.bins;
  g.output.back() = 2;
  return g;
}

Result<StftGeometry> StftShape(const Node& n, const Shape& signal, int64_t frame_step,
                               const Shape* window, const int64_t* frame_length) {
  if (signal.size() != 3 || (signal[2] != 1 && signal[2] != 2)) {
    return NodeError(n,
                     "signal must be [batch, length, 1 (real) or 2 (complex)], got " + S(signal));
  }
  StftGeometry g;
  IA_ASSIGN_OR_RETURN(g.onesided, FlagAttr(n, "onesided", 1));
  g.batch = signal[0];
  g.length = signal[1];
  g.complex = signal[2] == 2;
  if (frame_step < 1)
    return NodeError(n, "frame_step must be at least 1, got " + std::to_string(frame_step));
  g.frame_step = frame_step;
  if (window && window->size() != 1)
    return NodeError(n, "window must have rank 1 [frame_length], got " + S(*window));
  if (window && frame_length && (*window)[0] != *frame_length) {
    return NodeError(n, "window has " + std::to_string((*window)[0]) +
                            " samples; frame_length is " + std::to_string(*frame_length) +
                            " (they must be equal)");
  }
  g.frame_length = frame_length ? *frame_length : window ? (*window)[0] : g.length;
  if (g.frame_length < 1)
    return NodeError(n, "frame_length must be at least 1, got " + std::to_string(g.frame_length));
  if (g.frame_length > g.length) {
    return NodeError(n, "frame_length " + std::to_string(g.frame_length) +
                            " is longer than the signal (" + S(signal) + ")");
  }
  g.frames = (g.length - g.frame_length) / g.frame_step + 1;
  g.bins = g.onesided ? g.frame_length / 2 + 1 : g.frame_length;
  g.output = {g.batch, g.frames, g.bins, 2};
  return g;
}

Result<MelGeometry> MelShape(const Node& n, int64_t num_mel_bins, int64_t dft_length,
                             int64_t sample_rate, double lower_edge_hertz,
                             double upper_edge_hertz) {
  MelGeometry g;
  IA_ASSIGN_OR_RETURN(g.output, OutputDatatype(n));
  auto positive = [&](const char* name, int64_t v) {
    return v >= 1
               ? Status::Ok()
               : NodeError(n, std::string(name) + " must be at least 1, got " + std::to_string(v));
  };
  IA_RETURN_IF_ERROR(positive("num_mel_bins", num_mel_bins));
  IA_RETURN_IF_ERROR(positive("dft_length", dft_length));
  IA_RETURN_IF_ERROR(positive("sample_rate", sample_rate));
  // Past these, the edges would not fit in memory anyway; the bounds keep the arithmetic exact.
  constexpr int64_t kLimit = int64_t{1} << 40;
  if (num_mel_bins > kLimit || dft_length > kLimit) {
    return NodeError(n, "num_mel_bins " + std::to_string(num_mel_bins) + " or dft_length " +
                            std::to_string(dft_length) + " is too large");
  }
  if (!std::isfinite(lower_edge_hertz) || !std::isfinite(upper_edge_hertz)) {
    return NodeError(n, "lower_edge_hertz and upper_edge_hertz must be finite, got " +
                            std::to_string(lower_edge_hertz) + " and " +
                            std::to_string(upper_edge_hertz));
  }
  g.num_mel_bins = num_mel_bins;
  g.spectrogram_bins = dft_length / 2 + 1;
  g.shape = {g.spectrogram_bins, num_mel_bins};
  const double low_mel = 2595 * std::log10(1 + lower_edge_hertz / 700);
  const double high_mel = 2595 * std::log10(1 + upper_edge_hertz / 700);
  const double mel_step = (high_mel - low_mel) / static_cast<double>(num_mel_bins + 2);
  g.edges.resize(static_cast<size_t>(num_mel_bins + 2));
  for (int64_t i = 0; i < num_mel_bins + 2; ++i) {
    const double mel = static_cast<double>(i) * mel_step + low_mel;
    const double hz = 700 * (std::pow(10.0, mel / 2595) - 1);
    const double bin =
        FloorDivide(static_cast<double>(dft_length + 1) * hz, static_cast<double>(sample_rate));
    // The last edge only ends the last triangle (exclusive): it may be one past the last bin.
    const int64_t limit = g.spectrogram_bins + (i == num_mel_bins + 1 ? 1 : 0);
    if (!(bin >= 0 && bin < static_cast<double>(limit))) {
      return NodeError(
          n, "edge " + std::to_string(i) + " of the filter bank (" + std::to_string(hz) +
                 " Hz) falls outside the " + std::to_string(g.spectrogram_bins) + " bins of a " +
                 std::to_string(dft_length) + "-point DFT at " + std::to_string(sample_rate) +
                 " Hz: the edges must lie in [0, sample_rate / 2]");
    }
    g.edges[static_cast<size_t>(i)] = static_cast<int64_t>(bin);
  }
  return g;
}

std::vector<double> MelWeights(const MelGeometry& g) {
  const int64_t mels = g.num_mel_bins;
  std::vector<double> w(static_cast<size_t>(g.spectrogram_bins * mels), 0.0);
  auto at = [&](int64_t bin, int64_t i) -> double& {
    return w[static_cast<size_t>(bin * mels + i)];
  };
  for (int64_t i = 0; i < mels; ++i) {
    const int64_t left = g.edges[i], center = g.edges[i + 1], right = g.edges[i + 2];
    const int64_t rise = center - left, fall = right - center;
    if (rise == 0) {
      at(center, i) = 1;
    } else {
      for (int64_t j = left; j <= center; ++j)
        at(j, i) = static_cast<double>(j - left) / static_cast<double>(rise);
    }
    if (fall > 0) {
      for (int64_t j = center; j < right; ++j)
        at(j, i) = static_cast<double>(right - j) / static_cast<double>(fall);
    }
  }
  return w;
}

}  // namespace ipfs_accelerate::engine::ops
