// NonMaxSuppression, RoiAlign and MaxUnpool (their rules: engine/ops/detection.h and, for
// MaxUnpool's window, engine/ops/window.h). NonMaxSuppression splits its (batch, class) pairs
// over the pool and RoiAlign its output bins; MaxUnpool scatters in input order, so a repeated
// index keeps the last value as in ONNX Runtime.
#include "engine/ops/detection.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/elementwise_common.h"
#include "engine/ops/window.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// Input `i`, or null when the node leaves it out.
const Tensor* Optional(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

// Checks that input `i`, named `name`, has dtype `want`.
Status CheckDType(const KernelContext& ctx, const Tensor& t, const char* name, DType want) {
  if (t.dtype() == want) return Status::Ok();
  return ctx.Error(std::string(name) + " is " + DTypeName(t.dtype()) + "; expected " +
                   DTypeName(want));
}

// ---- NonMaxSuppression ------------------------------------------------------------------------

// A candidate box: its score and index. The heap's top is the highest score, the lower index
// among equal scores.
struct Candidate {
  float score;
  int64_t index;
  bool operator<(const Candidate& o) const {
    return score < o.score || (score == o.score && index > o.index);
  }
};

Status NonMaxSuppression(KernelContext& ctx) {
  const Node& node = ctx.node();
  IA_ASSIGN_OR_RETURN(const bool center, ops::ReadCenterPointBox(node));
  IA_ASSIGN_OR_RETURN(const Tensor* boxes, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* scores, ctx.Required(1));
  IA_RETURN_IF_ERROR(CheckDType(ctx, *boxes, "boxes", DType::kFloat32));
  IA_RETURN_IF_ERROR(CheckDType(ctx, *scores, "scores", DType::kFloat32));
  IA_ASSIGN_OR_RETURN(const ops::NmsSizes s,
                      ops::NonMaxSuppressionShape(node, boxes->shape(), scores->shape()));
  int64_t max_per_class = 0;
  float iou_threshold = 0.f, score_threshold = 0.f;
  bool has_score_threshold = false;
  if (const Tensor* t = Optional(ctx, 2)) {
    IA_RETURN_IF_ERROR(CheckDType(ctx, *t, "max_output_boxes_per_class", DType::kInt64));
    IA_RETURN_IF_ERROR(ops::CheckNmsScalar(node, "max_output_boxes_per_class", t->shape()));
    max_per_class = std::max<int64_t>(0, *t->data<int64_t>());
  }
  if (const Tensor* t = Optional(ctx, 3)) {
    IA_RETURN_IF_ERROR(CheckDType(ctx, *t, "iou_threshold", DType::kFloat32));
    IA_RETURN_IF_ERROR(ops::CheckNmsScalar(node, "iou_threshold", t->shape()));
    iou_threshold = *t->data<float>();
    IA_RETURN_IF_ERROR(ops::CheckIouThreshold(node, iou_threshold));
  }
  if (const Tensor* t = Optional(ctx, 4)) {
    IA_RETURN_IF_ERROR(CheckDType(ctx, *t, "score_threshold", DType::kFloat32));
    IA_RETURN_IF_ERROR(ops::CheckNmsScalar(node, "score_threshold", t->shape()));
    score_threshold = *t->data<float>();
    has_score_threshold = true;
  }
  const int64_t pairs = s.batches * s.classes;
  max_per_class = std::min(max_per_class, s.boxes);
  std::vector<std::vector<int64_t>> selected(max_per_class > 0 ? pairs : 0);
  if (!selected.empty()) {
    // Every box's extent and area, read once per batch.
    std::vector<ops::NmsBox> extents(s.batches * s.boxes);
    const float* box_data = boxes->data<float>();
    for (size_t i = 0; i < extents.size(); ++i)
      extents[i] = ops::ReadNmsBox(box_data + 4 * i, center);
    const float* score_data = scores->data<float>();
    const int64_t cost = s.boxes * 8 + max_per_class * max_per_class;
    ParallelFor(ctx.pool(), pairs, cost, [&](int64_t begin, int64_t end) {
      std::vector<Candidate> heap;
      for (int64_t p = begin; p < end; ++p) {
        const int64_t batch = p / s.classes;
        const float* sc = score_data + p * s.boxes;
        const ops::NmsBox* ext = extents.data() + batch * s.boxes;
        heap.clear();
        for (int64_t b = 0; b < s.boxes; ++b) {
          if (std::isnan(sc[b]) || (has_score_threshold && !(sc[b] > score_threshold))) continue;
          heap.push_back({sc[b], b});
        }
        std::make_heap(heap.begin(), heap.end());
        std::vector<int64_t>& kept = selected[p];
        while (!heap.empty() && static_cast<int64_t>(kept.size()) < max_per_class) {
          std::pop_heap(heap.begin(), heap.end());
          const int64_t b = heap.back().index;
          heap.pop_back();
          bool keep = true;
          for (int64_t k : kept) {
            if (ops::NmsSuppresses(ext[k], ext[b], iou_threshold)) {
              keep = false;
              break;
            }
          }
          if (keep) kept.push_back(b);
        }
      }
    });
  }
  int64_t total = 0;
  for (const auto& kept : selected) total += static_cast<int64_t>(kept.size());
  Tensor& out = ctx.Allocate(0, DType::kInt64, {total, 3});
  int64_t* o = out.data<int64_t>();
  for (int64_t p = 0; p < static_cast<int64_t>(selected.size()); ++p) {
    for (int64_t b : selected[p]) {
      *o++ = p / s.classes;
      *o++ = p % s.classes;
      *o++ = b;
    }
  }
  return Status::Ok();
}

// ---- RoiAlign ---------------------------------------------------------------------------------

// The most samples one output bin may take (sampling_ratio squared, or the adaptive count of a
// large ROI): past it a ROI is refused rather than run for hours.
constexpr int64_t kMaxSamplesPerBin = int64_t{1} << 24;

// One ROI's geometry in X's element type, computed as ONNX Runtime does.
template <typename T>
struct RoiGeometry {
  int64_t batch = 0;
  T start_h = 0, start_w = 0, bin_h = 0, bin_w = 0;
  int64_t grid_h = 0, grid_w = 0;
  T count = 1;  // samples averaged per bin: at least 1
};

template <typename T>
Status RoiAlignTyped(KernelContext& ctx, const ops::RoiAlignAttrs& a, const Shape& y_shape) {
  const Tensor& x = *ctx.input(0);
  const Tensor& rois = *ctx.input(1);
  const Tensor& indices = *ctx.input(2);
  const int64_t n = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t num_rois = rois.dim(0), oh = a.output_height, ow = a.output_width;
  const T* r = rois.data<T>();
  const int64_t* bi = indices.data<int64_t>();
  std::vector<RoiGeometry<T>> geo(num_rois);
  const T offset = a.half_pixel ? T(0.5) : T(0);
  const T scale = static_cast<T>(a.spatial_scale);
  for (int64_t i = 0; i < num_rois; ++i) {
    if (bi[i] < 0 || bi[i] >= n) {
      return ctx.Error("batch_indices[" + std::to_string(i) + "] is " + std::to_string(bi[i]) +
                       "; X has " + std::to_string(n) + " images");
    }
    const T* c = r + 4 * i;
    for (int k = 0; k < 4; ++k) {
      if (!std::isfinite(static_cast<double>(c[k])))
        return ctx.Error("rois row " + std::to_string(i) + " holds a non-finite coordinate");
    }
    RoiGeometry<T>& g = geo[i];
    g.batch = bi[i];
    g.start_w = c[0] * scale - offset;
    g.start_h = c[1] * scale - offset;
    T roi_w = (c[2] * scale - offset) - g.start_w;
    T roi_h = (c[3] * scale - offset) - g.start_h;
    if (!a.half_pixel) {
      roi_w = std::max(roi_w, T(1));
      roi_h = std::max(roi_h, T(1));
    }
    g.bin_h = roi_h / static_cast<T>(oh);
    g.bin_w = roi_w / static_cast<T>(ow);
    // Adaptive sampling: ceil(roi size / output size) per axis (none for an empty ROI).
    const double gh = a.sampling_ratio > 0 ? double(a.sampling_ratio)
                                           : std::max(0.0, double(std::ceil(roi_h / T(oh))));
    const double gw = a.sampling_ratio > 0 ? double(a.sampling_ratio)
                                           : std::max(0.0, double(std::ceil(roi_w / T(ow))));
    if (gh * gw > double(kMaxSamplesPerBin)) {
      return ctx.Error("rois row " + std::to_string(i) + " takes " + std::to_string(gh) + " x " +
                       std::to_string(gw) + " samples per output bin, more than " +
                       std::to_string(kMaxSamplesPerBin) + " (a ROI far larger than X?)");
    }
    g.grid_h = static_cast<int64_t>(gh);
    g.grid_w = static_cast<int64_t>(gw);
    g.count = static_cast<T>(std::max<int64_t>(g.grid_h * g.grid_w, 1));
  }
  Tensor& y = ctx.Allocate(0, x.dtype(), y_shape);
  T* yd = y.data<T>();
  const int64_t plane = oh * ow, image = channels * height * width;
  if (height == 0 || width == 0) {  // nothing to sample: every bin reads 0
    std::fill(yd, yd + y.numel(), T(0));
    return Status::Ok();
  }
  const T* xd = x.data<T>();
  const bool avg = a.mode == ops::RoiAlignMode::kAvg;
  const int64_t bins = num_rois * plane;
  const int64_t samples = geo.empty() ? 1 : std::max<int64_t>(1, geo[0].grid_h * geo[0].grid_w);
  ParallelFor(ctx.pool(), bins, channels * samples * cost::kScalarMac, [&](int64_t b0, int64_t b1) {
    for (int64_t bin = b0; bin < b1; ++bin) {
      const int64_t roi = bin / plane, ph = (bin % plane) / ow, pw = bin % ow;
      const RoiGeometry<T>& g = geo[roi];
      const T* img = xd + g.batch * image;
      T* out = yd + roi * channels * plane + ph * ow + pw;  // channel c at out[c * plane]
      for (int64_t c = 0; c < channels; ++c) out[c * plane] = T(0);
      bool first = true;
      for (int64_t iy = 0; iy < g.grid_h; ++iy) {
        const T yy = g.start_h + static_cast<T>(ph) * g.bin_h +
                     static_cast<T>(iy + .5f) * g.bin_h / static_cast<T>(g.grid_h);
        for (int64_t ix = 0; ix < g.grid_w; ++ix) {
          const T xx = g.start_w + static_cast<T>(pw) * g.bin_w +
                       static_cast<T>(ix + .5f) * g.bin_w / static_cast<T>(g.grid_w);
          // The four corners around (yy, xx) and their bilinear weights; all 0 outside
          // [-1, size] on either axis.
          int64_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;
          T w1 = 0, w2 = 0, w3 = 0, w4 = 0;
          if (!(yy < T(-1) || yy > static_cast<T>(height) || xx < T(-1) ||
                xx > static_cast<T>(width))) {
            T py = yy <= T(0) ? T(0) : yy, px = xx <= T(0) ? T(0) : xx;
            int64_t y_low = static_cast<int64_t>(py), x_low = static_cast<int64_t>(px);
            int64_t y_high, x_high;
            if (y_low >= height - 1) {
              y_high = y_low = height - 1;
              py = static_cast<T>(y_low);
            } else {
              y_high = y_low + 1;
            }
            if (x_low >= width - 1) {
              x_high = x_low = width - 1;
              px = static_cast<T>(x_low);
            } else {
              x_high = x_low + 1;
            }
            const T ly = py - static_cast<T>(y_low), lx = px - static_cast<T>(x_low);
            const T hy = T(1) - ly, hx = T(1) - lx;
            w1 = hy * hx;
            w2 = hy * lx;
            w3 = ly * hx;
            w4 = ly * lx;
            p1 = y_low * width + x_low;
            p2 = y_low * width + x_high;
            p3 = y_high * width + x_low;
            p4 = y_high * width + x_high;
          }
          const int64_t hw = height * width;
          if (avg) {
            for (int64_t c = 0; c < channels; ++c) {
              const T* v = img + c * hw;
              out[c * plane] += w1 * v[p1] + w2 * v[p2] + w3 * v[p3] + w4 * v[p4];
            }
          } else {
            for (int64_t c = 0; c < channels; ++c) {
              const T* v = img + c * hw;
              const T val =
                  std::max(std::max(std::max(w1 * v[p1], w2 * v[p2]), w3 * v[p3]), w4 * v[p4]);
              out[c * plane] = first ? val : std::max(out[c * plane], val);
            }
          }
          first = false;
        }
      }
      if (avg) {
        for (int64_t c = 0; c < channels; ++c) out[c * plane] /= g.count;
      }
    }
  });
  return Status::Ok();
}

Status RoiAlign(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const ops::RoiAlignAttrs a, ops::ReadRoiAlign(ctx.node()));
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* rois, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(const Tensor* indices, ctx.Required(2));
  IA_RETURN_IF_ERROR(CheckDType(ctx, *rois, "rois", x->dtype()));
  IA_RETURN_IF_ERROR(CheckDType(ctx, *indices, "batch_indices", DType::kInt64));
  IA_ASSIGN_OR_RETURN(const Shape y, ops::RoiAlignShape(ctx.node(), a, x->shape(), rois->shape(),
                                                        indices->shape()));
  return Visit<kFloats>(ctx, x->dtype(), [&](auto tag) {
    return RoiAlignTyped<typename decltype(tag)::type>(ctx, a, y);
  });
}

// ---- MaxUnpool --------------------------------------------------------------------------------

// Y[I[i]] = X[i] for every i, Y zero elsewhere, I indexing the unpooled block `block` (row-major)
// that starts Y; elements moved as `Word`, an unsigned integer of the element's size.
template <typename Word>
Status Scatter(KernelContext& ctx, const Tensor& x, const int64_t* indices, const Shape& block,
               Tensor& y) {
  Word* out = y.data<Word>();
  const Word* in = x.data<Word>();
  const int64_t n = x.numel(), size = NumElements(block);
  std::fill(out, out + y.numel(), Word(0));
  const bool whole = block == y.shape();
  for (int64_t i = 0; i < n; ++i) {
    int64_t at = indices[i];
    if (at < 0 || at >= size) {
      return ctx.Error("I holds index " + std::to_string(at) + " at position " + std::to_string(i) +
                       ", outside the " + std::to_string(size) +
                       " elements of the unpooled shape " + ShapeToString(block));
    }
    if (!whole) {  // the block's row-major index as Y's
      int64_t offset = 0, stride = 1;
      for (int d = static_cast<int>(block.size()) - 1; d >= 0; --d) {
        offset += (at % block[d]) * stride;
        at /= block[d];
        stride *= y.shape()[d];
      }
      at = offset;
    }
    out[at] = in[i];
  }
  return Status::Ok();
}

Status MaxUnpool(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* indices, ctx.Required(1));
  IA_RETURN_IF_ERROR(CheckDType(ctx, *indices, "I", DType::kInt64));
  if (indices->shape() != x->shape()) {
    return ctx.Error("I has shape " + ShapeToString(indices->shape()) + "; expected X's " +
                     ShapeToString(x->shape()));
  }
  Shape given;
  const Tensor* shape_input = Optional(ctx, 2);
  if (shape_input) {
    IA_RETURN_IF_ERROR(CheckDType(ctx, *shape_input, "output_shape", DType::kInt64));
    if (shape_input->rank() != 1) {
      return ctx.Error("output_shape must be 1-D, got shape " +
                       ShapeToString(shape_input->shape()));
    }
    given.assign(shape_input->data<int64_t>(), shape_input->data<int64_t>() + shape_input->numel());
  }
  IA_ASSIGN_OR_RETURN(const ops::WindowGeometry g,
                      ops::MaxUnpoolWindow(ctx.node(), x->shape(), shape_input ? &given : nullptr));
  Tensor& y = ctx.Allocate(0, x->dtype(), g.output);
  const int64_t* idx = indices->data<int64_t>();
  Shape block = {x->dim(0), x->dim(1)};
  block.insert(block.end(), g.out.begin(), g.out.end());
  switch (DTypeSize(x->dtype())) {
    case 1:
      return Scatter<uint8_t>(ctx, *x, idx, block, y);
    case 2:
      return Scatter<uint16_t>(ctx, *x, idx, block, y);
    case 4:
      return Scatter<uint32_t>(ctx, *x, idx, block, y);
    case 8:
      return Scatter<uint64_t>(ctx, *x, idx, block, y);
    default:
      return ctx.Unsupported("X's dtype " + DTypeName(x->dtype()) + " is not supported");
  }
}

}  // namespace

void RegisterDetectionKernels(KernelRegistry& r) {
  r.Add("NonMaxSuppression", NonMaxSuppression, 10).Types({DType::kFloat32});
  r.Add("RoiAlign", elementwise::Half<RoiAlign>, 10)
      .Types({DType::kFloat16, DType::kFloat32, DType::kFloat64});
  r.Add("MaxUnpool", MaxUnpool, 9).Types(kFloatTypes);
}

}  // namespace ipfs_accelerate::engine::cpu
