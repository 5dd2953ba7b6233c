// The signal operators of opset 17 (audio front ends): HannWindow, HammingWindow, BlackmanWindow,
// DFT (opset 17; 20 moved `axis` to an input), STFT and MelWeightMatrix. Their attributes, output
// shapes and the values the spec defines (a window's samples, the mel filter bank's bins), written
// once for every backend.
//
//   windows:  size (int32/int64 scalar) -> [size] of output_datatype (default float32); periodic
//             (default 1) divides by size, symmetric by size - 1.
//   DFT:      input [batch, signal dims..., 1 (real) or 2 (complex)], dft_length (optional
//             scalar: the signal along `axis` is zero-padded or truncated to it) -> the same shape
//             with `axis` of dft_length (floor(dft_length/2)+1 when onesided) and last dim 2.
//   STFT:     signal [batch, length, 1 or 2], frame_step, window [frame_length] (optional),
//             frame_length (optional) -> [batch, frames, bins, 2], frames =
//             (length - frame_length) / frame_step + 1, bins = frame_length/2+1 when onesided
//             (the default), else frame_length.
//   MelWeightMatrix: num_mel_bins, dft_length, sample_rate (integer scalars), lower_edge_hertz,
//             upper_edge_hertz (float scalars) -> [dft_length/2+1, num_mel_bins].
//
// Choices where the spec is silent, as the ONNX reference implementation makes them: onesided
// keeps the first floor(n/2)+1 bins of the transform whatever the input (complex too, and after
// an inverse); STFT with neither window nor frame_length takes the whole signal as one frame.
// As onnxruntime does, STFT refuses a window whose length is not frame_length. A symmetric window
// of size 1 (whose period size - 1 is 0) is its value at n = 0, as the periodic one of size 1 is.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

// ---- windows ----

enum class WindowKind { kHann, kHamming, kBlackman };

struct WindowAttrs {
  WindowKind kind = WindowKind::kHann;
  bool periodic = true;
  DType output = DType::kFloat32;  // output_datatype
};

// The attributes of a HannWindow, HammingWindow or BlackmanWindow node, or an error naming the
// node and the attribute (periodic other than 0 or 1; an output_datatype that is not numeric).
Result<WindowAttrs> ReadWindow(const Node& n);

// Checks `size` (the op's input) is not negative; the output shape [size].
Result<Shape> WindowShape(const Node& n, int64_t size);

// Sample k of a window of `size` samples, in double, as the spec writes it:
//   Hann      0.5 - 0.5 cos(2 pi k / N)
//   Hamming   25/46 - 21/46 cos(2 pi k / N)
//   Blackman  0.42 - 0.5 cos(2 pi k / N) + 0.08 cos(4 pi k / N)
// where N is size when periodic, else size - 1 (for size 1, k / N is taken as 0).
inline double WindowValue(const WindowAttrs& a, int64_t size, int64_t k) {
  constexpr double kPi = 3.14159265358979323846;
  const int64_t period = a.periodic ? size : size - 1;
  const double x = period > 0 ? 2 * kPi * static_cast<double>(k) / static_cast<double>(period) : 0;
  switch (a.kind) {
    case WindowKind::kHann:
      return 0.5 - 0.5 * std::cos(x);
    case WindowKind::kHamming:
      return 25.0 / 46.0 - 21.0 / 46.0 * std::cos(x);
    case WindowKind::kBlackman:
      return 0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x);
  }
  return 0;
}

// ---- DFT ----

struct DftAttrs {
  bool inverse = false;   // the inverse transform, scaled by 1/n
  bool onesided = false;  // keep bins 0..floor(n/2) only
};

// inverse and onesided of a DFT node (each 0 or 1), or an error naming the attribute.
Result<DftAttrs> ReadDft(const Node& n);

// The signal axis of a DFT node for an input of `rank`: attribute `axis` (default 1) up to opset
// 19, from opset 20 the scalar `axis_input` (null when omitted: -2, the last signal axis).
// Negative values count from the end of the input's dims; the result lies in [0, rank - 2] (the
// last dim holds the real and imaginary parts), else an error naming the node and the range.
Result<int> DftAxis(const Node& n, int64_t rank, const int64_t* axis_input);

struct DftGeometry {
  int axis = 1;
  int64_t length = 0;  // the input's size along axis
  int64_t n = 0;       // the transform's size: dft_length, or `length`
  int64_t bins = 0;    // output bins along axis: n, or n/2+1 when onesided
  bool complex = false;
  Shape output;
};

// The geometry of a DFT of an input of shape `x` along `axis` (from DftAxis) with
// `dft_length` (null when omitted; at least 1), or an error naming the node: a rank under 2, a
// last dim other than 1 or 2, an empty signal with no dft_length, a dft_length under 1.
Result<DftGeometry> DftShape(const Node& n, const DftAttrs& a, const Shape& x, int axis,
                             const int64_t* dft_length);

// ---- STFT ----

struct StftGeometry {
  int64_t batch = 0, length = 0;  // signal [batch, length, 1 or 2]
  bool complex = false;
  int64_t frame_step = 0, frame_length = 0, frames = 0, bins = 0;
  bool onesided = true;
  Shape output;  // [batch, frames, bins, 2]
};

// The geometry of an STFT node: signal of shape `signal`, its frame_step, the window's shape
// (null when omitted) and frame_length (null when omitted). Errors name the node: a signal not
// of rank 3 with last dim 1 or 2, a frame_step under 1, a window not of rank 1 or of a length
// other than frame_length, a frame_length under 1 or past the signal, onesided not 0 or 1.
Result<StftGeometry> StftShape(const Node& n, const Shape& signal, int64_t frame_step,
                               const Shape* window, const int64_t* frame_length);

// ---- MelWeightMatrix ----

struct MelGeometry {
  int64_t num_mel_bins = 0, spectrogram_bins = 0;  // the output is [spectrogram_bins, mel bins]
  // num_mel_bins + 2 edges: the DFT bin where each triangle starts, peaks and ends (filter i
  // spans edges i, i+1, i+2).
  std::vector<int64_t> edges;
  DType output = DType::kFloat32;  // output_datatype
  Shape shape;
};

// The filter bank's geometry, computed as the ONNX reference implementation does, in double:
// mel(f) = 2595 log10(1 + f / 700) at the two edges, num_mel_bins + 2 points spaced by
// (high - low) / (num_mel_bins + 2) from the low edge, each back to hertz and to the bin
// floor((dft_length + 1) hz / sample_rate) (numpy's floor division). Errors name the node:
// num_mel_bins, dft_length or sample_rate under 1, an edge that is not finite, a bin outside the
// spectrogram, an output_datatype that is not numeric.
Result<MelGeometry> MelShape(const Node& n, int64_t num_mel_bins, int64_t dft_length,
                             int64_t sample_rate, double lower_edge_hertz, double upper_edge_hertz);

// The weights of the filter bank, [spectrogram_bins, num_mel_bins] row-major, in double, as the
// reference fills them: filter i rises from edge i to 1 at edge i+1 (1 at edge i+1 alone when
// they coincide) and falls to edge i+2 (exclusive).
std::vector<double> MelWeights(const MelGeometry& g);

}  // namespace ipfs_accelerate::engine::ops
