// The optimizers of ai.onnx.preview.training (opset 1): Adagrad, Adam and Momentum (standard and
// Nesterov), each updating n tensors in one node. Inputs: the learning rate R and the step count
// T (scalars), then X1..Xn, G1..Gn and the n-tensor groups of state (H for Adagrad; V, H for
// Adam; V for Momentum). Outputs: the new X1..Xn, then each state group. Arithmetic in double,
// stored in the tensors' type (float32 or float64), as the ONNX reference computes it.
#include <cmath>
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/tensor_ops_util.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using tensor_ops::ReadScalar;

// The tensors of one optimizer node: R and T read, n = (inputs - 2) / groups checked, and each
// group's tensors shaped and typed as X's.
struct Groups {
  double r = 0;
  int64_t t = 0;
  size_t n = 0;
  std::vector<std::vector<const Tensor*>> in;  // [group][k]: X, G, then the state groups
};

Result<Groups> ReadGroups(const KernelContext& ctx, size_t groups) {
  Groups g;
  if (ctx.num_inputs() < 2 + groups || (ctx.num_inputs() - 2) % groups != 0) {
    return ctx.Error("takes R, T and " + std::to_string(groups) +
                     " groups of equally many tensors, got " + std::to_string(ctx.num_inputs()) +
                     " inputs");
  }
  g.n = (ctx.num_inputs() - 2) / groups;
  const size_t state_groups = groups - 2;
  if (ctx.num_outputs() > g.n * (1 + state_groups)) {
    return ctx.Error("names " + std::to_string(ctx.num_outputs()) + " outputs; it has " +
                     std::to_string(g.n * (1 + state_groups)));
  }
  IA_ASSIGN_OR_RETURN(const Tensor* r, ctx.Required(0));
  IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(1));
  IA_ASSIGN_OR_RETURN(g.r, ReadScalar(ctx, *r, "R"));
  if (t->dtype() != DType::kInt64 || t->numel() != 1)
    return ctx.Error("T must be one int64, got " + DTypeName(t->dtype()) + " " +
                     ShapeToString(t->shape()));
  g.t = *t->data<int64_t>();
  g.in.assign(groups, std::vector<const Tensor*>(g.n));
  for (size_t grp = 0; grp < groups; ++grp) {
    for (size_t k = 0; k < g.n; ++k) {
      IA_ASSIGN_OR_RETURN(g.in[grp][k], ctx.Required(2 + grp * g.n + k));
      const Tensor& x = *g.in[0][k];
      const Tensor& v = *g.in[grp][k];
      if (v.dtype() != x.dtype() || v.shape() != x.shape()) {
        return ctx.Error("input " + std::to_string(2 + grp * g.n + k) + " is " +
                         DTypeName(v.dtype()) + " " + ShapeToString(v.shape()) +
                         "; it must match X" + std::to_string(k + 1) + ", " + DTypeName(x.dtype()) +
                         " " + ShapeToString(x.shape()));
      }
    }
  }
  return g;
}

// Runs `update(x, g, state..., out...)` per element: `state` holds the group's state inputs
// and `out` gets X's new value then each state's, all as doubles.
template <size_t kStates, typename Update>
Status Apply(KernelContext& ctx, const Groups& g, Update update) {
  for (size_t k = 0; k < g.n; ++k) {
    const Tensor& x = *g.in[0][k];
    std::vector<Tensor*> outs;  // X new, then each state's new value; null when unused
    for (size_t o = 0; o <= kStates; ++o) {
      const size_t slot = o * g.n + k;
      outs.push_back(ctx.wants_output(slot) ? &ctx.Allocate(slot, x.dtype(), x.shape()) : nullptr);
    }
    IA_RETURN_IF_ERROR(Visit<kFloats>(ctx, x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xs = x.data<T>();
      const T* gs = g.in[1][k]->data<T>();
      for (int64_t i = 0, n = x.numel(); i < n; ++i) {
        double state[kStates + 1], result[kStates + 1];
        for (size_t s = 0; s < kStates; ++s) state[s] = g.in[2 + s][k]->template data<T>()[i];
        update(static_cast<double>(xs[i]), static_cast<double>(gs[i]), state, result);
        for (size_t o = 0; o <= kStates; ++o) {
          if (outs[o]) outs[o]->template data<T>()[i] = static_cast<T>(result[o]);
        }
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status Adagrad(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(Groups g, ReadGroups(ctx, 3));
  const double decay = ctx.GetFloat("decay_factor", 0), eps = ctx.GetFloat("epsilon", 0),
               norm = ctx.GetFloat("norm_coefficient", 0);
  const double rate = g.r / (1 + static_cast<double>(g.t) * decay);
  return Apply<1>(ctx, g, [&](double x, double grad, const double* s, double* out) {
    const double gr = norm * x + grad;
    const double h = s[0] + gr * gr;
    out[0] = x - rate * gr / (std::sqrt(h) + eps);
    out[1] = h;
  });
}

Status Adam(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(Groups g, ReadGroups(ctx, 4));
  const double alpha = ctx.GetFloat("alpha", 0.9f), beta = ctx.GetFloat("beta", 0.999f),
               eps = ctx.GetFloat("epsilon", 0), norm = ctx.GetFloat("norm_coefficient", 0),
               post = ctx.GetFloat("norm_coefficient_post", 0);
  const double t = static_cast<double>(g.t);
  // Bias correction from the second step on.
  const double rate =
      g.t > 0 ? g.r * std::sqrt(1 - std::pow(beta, t)) / (1 - std::pow(alpha, t)) : g.r;
  return Apply<2>(ctx, g, [&](double x, double grad, const double* s, double* out) {
    const double gr = norm * x + grad;
    const double v = alpha * s[0] + (1 - alpha) * gr;
    const double h = beta * s[1] + (1 - beta) * gr * gr;
    out[0] = (1 - post) * (x - rate * v / (std::sqrt(h) + eps));
    out[1] = v;
    out[2] = h;
  });
}

Status Momentum(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(Groups g, ReadGroups(ctx, 3));
  for (const char* attr : {"alpha", "beta", "norm_coefficient", "mode"}) {
    if (!ctx.HasAttr(attr)) return ctx.Error(std::string("needs the attribute '") + attr + "'");
  }
  const double alpha = ctx.GetFloat("alpha", 0), norm = ctx.GetFloat("norm_coefficient", 0);
  // The gradient's coefficient is 1 at the first step.
  const double beta = g.t > 0 ? ctx.GetFloat("beta", 0) : 1.0;
  const std::string mode = ctx.GetString("mode", "");
  if (mode != "standard" && mode != "nesterov")
    return ctx.Error("mode must be 'standard' or 'nesterov', got '" + mode + "'");
  const bool nesterov = mode == "nesterov";
  const double r = g.r;
  return Apply<1>(ctx, g, [&](double x, double grad, const double* s, double* out) {
    const double gr = norm * x + grad;
    const double v = alpha * s[0] + beta * gr;
    out[0] = nesterov ? x - r * (gr + alpha * v) : x - r * v;
    out[1] = v;
  });
}

}  // namespace

void RegisterTrainingKernels(KernelRegistry& r) {
  const char* kDomain = "ai.onnx.preview.training";
  const DTypeSet floats = {DType::kFloat32, DType::kFloat64};
  r.Add("Adagrad", Adagrad, 1, 1000, kDomain).Types(floats, 2);
  r.Add("Adam", Adam, 1, 1000, kDomain).Types(floats, 2);
  r.Add("Momentum", Momentum, 1, 1000, kDomain).Types(floats, 2);
}

}  // namespace ipfs_accelerate::engine::cpu
