// Losses over class scores: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (which is
// the former applied to a log-softmax over the class axis).
#include <cmath>
#include <optional>
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/reduce_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// What both losses read besides the scores: targets, class weights and the attributes.
struct LossSpec {
  int64_t n = 0, c = 0, d = 0;  // input viewed as [N, C, D]
  std::vector<int64_t> target;  // N * D class indices
  std::vector<double> weight;   // C weights, or empty
  std::optional<int64_t> ignore_index;
  std::string reduction;
};

Result<LossSpec> ReadSpec(const KernelContext& ctx, const Tensor& input) {
  LossSpec s;
  if (input.rank() < 2) {
    return ctx.Error("input must be [N, C] or [N, C, d1, ...], got shape " +
                     ShapeToString(input.shape()));
  }
  s.n = input.dim(0);
  s.c = input.dim(1);
  s.d = Product(input.shape(), 2, input.rank());
  IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(1));
  Shape want(input.shape());
  want.erase(want.begin() + 1);
  if (t->shape() != want) {
    return ctx.Error("target has shape " + ShapeToString(t->shape()) + "; expected " +
                     ShapeToString(want) + " (the input's shape without the class axis)");
  }
  if (t->dtype() == DType::kInt64) {
    s.target.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  } else if (t->dtype() == DType::kInt32) {
    s.target.assign(t->data<int32_t>(), t->data<int32_t>() + t->numel());
  } else {
    return ctx.Error("target must be int32 or int64, got " + DTypeName(t->dtype()));
  }
  if (const Tensor* w = ctx.input(2)) {
    if (w->numel() != s.c) {
      return ctx.Error("weight has shape " + ShapeToString(w->shape()) + "; expected [" +
                       std::to_string(s.c) + "]");
    }
    if (w->dtype() == DType::kFloat32) {
      s.weight.assign(w->data<float>(), w->data<float>() + s.c);
    } else if (w->dtype() == DType::kFloat64) {
      s.weight.assign(w->data<double>(), w->data<double>() + s.c);
    } else {
      return ctx.Error("weight must be float32 or float64, got " + DTypeName(w->dtype()));
    }
  }
  if (ctx.HasAttr("ignore_index")) s.ignore_index = ctx.GetInt("ignore_index", 0);
  s.reduction = ctx.GetString("reduction", "mean");
  if (s.reduction != "mean" && s.reduction != "sum" && s.reduction != "none") {
    return ctx.Error("reduction must be 'none', 'sum' or 'mean', got '" + s.reduction + "'");
  }
  for (int64_t v : s.target) {
    if (s.ignore_index && v == *s.ignore_index) continue;
    if (v < 0 || v >= s.c) {
      return ctx.Error("target holds class " + std::to_string(v) + ", outside [0, " +
                       std::to_string(s.c) + ") (and not ignore_index)");
    }
  }
  return s;
}

// The loss from log-probabilities logp ([N, C, D]) into output 0.
template <typename T>
void Nll(KernelContext& ctx, const LossSpec& s, const T* logp, DType dtype,
         const Shape& target_shape) {
  std::vector<double> loss(s.n * s.d);
  double weight_sum = 0, total = 0;
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t j = 0; j < s.d; ++j) {
      int64_t t = s.target[i * s.d + j];
      double w = 0, l = 0;
      if (!(s.ignore_index && t == *s.ignore_index)) {
        w = s.weight.empty() ? 1.0 : s.weight[t];
        l = -static_cast<double>(logp[(i * s.c + t) * s.d + j]) * w;
      }
      loss[i * s.d + j] = l;
      weight_sum += w;
      total += l;
    }
  }
  if (s.reduction == "none") {
    T* y = ctx.Allocate(0, dtype, target_shape).data<T>();
    for (size_t k = 0; k < loss.size(); ++k) y[k] = static_cast<T>(loss[k]);
    return;
  }
  T* y = ctx.Allocate(0, dtype, {}).data<T>();
  y[0] = static_cast<T>(s.reduction == "sum" ? total : total / weight_sum);
}

Status NegativeLogLikelihoodLoss(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(LossSpec s, ReadSpec(ctx, *x));
  const Shape& target_shape = ctx.input(1)->shape();
  switch (x->dtype()) {
    case DType::kFloat32:
      Nll(ctx, s, x->data<float>(), x->dtype(), target_shape);
      break;
    case DType::kFloat64:
      Nll(ctx, s, x->data<double>(), x->dtype(), target_shape);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) +
                             " (float32 and float64 are supported)");
  }
  return Status::Ok();
}

template <typename T>
void Sce(KernelContext& ctx, const LossSpec& s, const Tensor& x) {
  // log_softmax over the class axis, computed in double.
  Tensor logp = Tensor::Empty(x.dtype(), x.shape());
  const T* px = x.data<T>();
  T* pl = logp.data<T>();
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t j = 0; j < s.d; ++j) {
      const T* col = px + i * s.c * s.d + j;
      double m = -INFINITY;
      for (int64_t k = 0; k < s.c; ++k) m = std::max(m, static_cast<double>(col[k * s.d]));
      if (!std::isfinite(m)) m = 0;
      double sum = 0;
      for (int64_t k = 0; k < s.c; ++k) sum += std::exp(col[k * s.d] - m);
      double log_sum = std::log(sum);
      for (int64_t k = 0; k < s.c; ++k)
        pl[i * s.c * s.d + j + k * s.d] = static_cast<T>((col[k * s.d] - m) - log_sum);
    }
  }
  Nll(ctx, s, pl, x.dtype(), ctx.input(1)->shape());
  if (ctx.wants_output(1)) ctx.SetOutput(1, logp);
}

Status SoftmaxCrossEntropyLoss(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(LossSpec s, ReadSpec(ctx, *x));
  switch (x->dtype()) {
    case DType::kFloat32:
      Sce<float>(ctx, s, *x);
      break;
    case DType::kFloat64:
      Sce<double>(ctx, s, *x);
      break;
    default:
      return ctx.Unsupported("dtype " + DTypeName(x->dtype()) +
                             " (float32 and float64 are supported)");
  }
  return Status::Ok();
}

}  // namespace

void RegisterLossKernels(KernelRegistry& r) {
  r.Add("NegativeLogLikelihoodLoss", NegativeLogLikelihoodLoss, 12);
  r.Add("SoftmaxCrossEntropyLoss", SoftmaxCrossEntropyLoss, 12);
}

}  // namespace ipfs_accelerate::engine::cpu
