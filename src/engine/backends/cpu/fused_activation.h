// The activations of the fused ops (engine/ops/fused.h) applied to rows of float32, written once
// for FusedMatMul and Gelu.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "engine/backends/cpu/vec_math.h"
#include "engine/ops/fused.h"

namespace ipfs_accelerate::engine::cpu {

using ops::Activation;
using ops::ActivationKind;

// Vector forms of the GELUs for vec::Map.
struct GeluErfOp {
  template <typename V>
  IA_VEC_INLINE V operator()(V x) const {
    V half = vec::Splat<V>(0.5f);
    return half * x * (vec::Splat<V>(1.f) + vec::Erf(x * vec::Splat<V>(0.70710678118654752f)));
  }
};
struct GeluTanhOp {
  template <typename V>
  IA_VEC_INLINE V operator()(V x) const {
    V inner = vec::Splat<V>(0.7978845608028654f) * (x + vec::Splat<V>(0.044715f) * x * x * x);
    return vec::Splat<V>(0.5f) * x * (vec::Splat<V>(1.f) + vec::Tanh(inner));
  }
};

// y[i] = act(y[i] + bias[i]) for i < n; `bias` may be null.
inline void BiasActivationRow(float* y, const float* bias, int64_t n, const Activation& a) {
  if (bias) {
    for (int64_t i = 0; i < n; ++i) y[i] += bias[i];
  }
  switch (a.kind) {
    case ActivationKind::kNone:
      return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] > 0.f ? y[i] : 0.f;
      return;
    case ActivationKind::kGelu:
      vec::Map(y, y, n, GeluErfOp{});
      return;
    case ActivationKind::kGeluTanh:
      vec::Map(y, y, n, GeluTanhOp{});
      return;
    case ActivationKind::kSigmoid:
      vec::Map(y, y, n, vec::SigmoidOp{});
      return;
    case ActivationKind::kTanh:
      vec::Map(y, y, n, vec::TanhOp{});
      return;
    case ActivationKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = std::clamp(a.p0 * y[i] + a.p1, 0.f, 1.f);
      return;
    case ActivationKind::kHardSwish:  // x * clip(x / 6 + 1/2, 0, 1)
      for (int64_t i = 0; i < n; ++i) y[i] *= std::clamp(y[i] / 6.f + 0.5f, 0.f, 1.f);
      return;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] >= 0.f ? y[i] : a.p0 * y[i];
      return;
    case ActivationKind::kClip:
      for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(y[i], a.p0), a.p1);
      return;
  }
}

}  // namespace ipfs_accelerate::engine::cpu
