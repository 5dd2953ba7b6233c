// A oneDNN primitive with its weights in the primitive's own layout, for the kernels whose weights
// input (input 1) is usually an initializer: Conv, NhwcConv, ConvTranspose. The weights are
// reordered once per node and shape and kept in the node's state, not on every run.
#pragma once

#include <dnnl.hpp>
#include <memory>
#include <string>
#include <utility>

#include "core/tensor.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/kernel.h"

namespace ipfs_accelerate::engine::cpu {

// The node's state: the primitive built for `key` and its packed weights (read-only once
// published; concurrent runs execute with the same weights).
template <typename Prim>
struct PackedWeightsState : KernelState {
  std::string key;
  std::shared_ptr<const Prim> prim;
  dnnl::memory weights;
};

// The primitive for `key` (from the node's state when that was built for `key`, else from the
// backend's cache, built by `build` on first use) and `w` in its layout (`*weights`). Prim has
// weights_plain (W as the graph holds it) and weights_md (the layout the primitive wants). When W
// is an initializer, what was packed is published to the node's state for the next runs. Null
// when oneDNN cannot build it; throws dnnl::error when a reorder fails.
template <typename Prim, typename Build>
std::shared_ptr<const Prim> PrimitiveWithWeights(KernelContext& ctx, const char* kind,
                                                 const std::string& key, int threads,
                                                 const Tensor& w, dnnl::stream& stream,
                                                 Build&& build, dnnl::memory* weights) {
  using State = PackedWeightsState<Prim>;
  StateSlot* slot = ctx.is_constant(1) ? ctx.state() : nullptr;
  if (slot) {
    std::shared_ptr<const KernelState> held = slot->Get();
    if (auto* state = dynamic_cast<const State*>(held.get()); state && state->key == key) {
      *weights = state->weights;  // a handle: it keeps the packed buffer alive
      return state->prim;
    }
  }
  std::shared_ptr<const Prim> prim = onednn::PrimitiveCache::Get<Prim>(
      PrimitivesOf(ctx), kind, key, threads, std::forward<Build>(build));
  if (!prim) return nullptr;
  dnnl::memory plain(prim->weights_plain, onednn::Engine(), const_cast<void*>(w.raw()));
  *weights = plain;
  if (prim->weights_md != prim->weights_plain) {
    dnnl::memory packed(prim->weights_md, onednn::Engine());
    dnnl::reorder(plain, packed).execute(stream, plain, packed);
    *weights = packed;
  }
  if (slot) {
    auto fresh = std::make_shared<State>();
    fresh->key = key;
    fresh->prim = prim;
    // The plain weights belong to the graph and stay alive; a packed buffer is the state's.
    fresh->weights = *weights;
    slot->Set(std::move(fresh));
  }
  return prim;
}

}  // namespace ipfs_accelerate::engine::cpu
