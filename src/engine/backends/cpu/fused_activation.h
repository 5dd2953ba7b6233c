// The activations FusedMatMul applies to its rows (and Gelu on its own), written once.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "engine/backends/cpu/vec_math.h"

namespace ipfs_accelerate::engine::cpu {

enum class ActivationKind {
  kNone,
  kRelu,
  kGelu,
  kGeluTanh,
  kSigmoid,
  kTanh,
  kHardSigmoid,
  kLeakyRelu,
  kClip
};

struct Activation {
  ActivationKind kind = ActivationKind::kNone;
  float p0 = 0, p1 = 0;  // HardSigmoid alpha, beta; LeakyRelu alpha; Clip min, max
};

// The activation named `name` ("" for none) with `params`; false for an unknown name.
inline bool ParseActivation(const std::string& name, const std::vector<float>& params,
                            Activation* out) {
  static const std::pair<const char*, ActivationKind> kNames[] = {
      {"", ActivationKind::kNone},
      {"Relu", ActivationKind::kRelu},
      {"Gelu", ActivationKind::kGelu},
      {"GeluTanh", ActivationKind::kGeluTanh},
      {"Sigmoid", ActivationKind::kSigmoid},
      {"Tanh", ActivationKind::kTanh},
      {"HardSigmoid", ActivationKind::kHardSigmoid},
      {"LeakyRelu", ActivationKind::kLeakyRelu},
      {"Clip", ActivationKind::kClip}};
  for (const auto& [n, k] : kNames) {
    if (name != n) continue;
    out->kind = k;
    size_t need = k == ActivationKind::kHardSigmoid || k == ActivationKind::kClip ? 2
                  : k == ActivationKind::kLeakyRelu                               ? 1
                                                                                  : 0;
    if (params.size() < need) return false;
    if (need > 0) out->p0 = params[0];
    if (need > 1) out->p1 = params[1];
    return true;
  }
  return false;
}

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
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] >= 0.f ? y[i] : a.p0 * y[i];
      return;
    case ActivationKind::kClip:
      for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(y[i], a.p0), a.p1);
      return;
  }
}

}  // namespace ipfs_accelerate::engine::cpu
