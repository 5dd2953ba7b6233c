// The CPU backend's own graph passes (Backend::GraphPasses): oneDNN's fast convolutions read and
// write channels-last tensors, so whole regions of a CNN run NHWC. The ops they write
// (NhwcConv, NhwcMaxPool, NhwcAveragePool, NhwcGlobalAveragePool, in the domain of the fused
// ops) are this backend's alone: another backend never sees them, because only the session's
// first backend's passes run, and only on a graph it will mostly run.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::cpu {

// Runs regions of 2-D float convolutions channels-last: Conv -> NhwcConv, and element-wise ops,
// pooling (-> NhwcMaxPool, NhwcAveragePool, NhwcGlobalAveragePool), channel Concat and Resize
// with constant scales between them follow; Transposes enter and leave the regions. NhwcConv
// has Conv's attributes, X [N, H, W, C] and Y [N, OH, OW, M] (W stays [M, C/group, kh, kw]).
// `count` receives the number of nodes converted.
Status ConvertToNhwc(Graph& graph, int64_t* count = nullptr);

// NhwcConv followed by a residual Add (of an NHWC value) and/or an activation (Relu, LeakyRelu,
// Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, or HardSwish written out as
// x*Clip(x+3,0,6)/6) -> one NhwcConv with input Z (added before the activation) and the fused
// ops' activation attributes (engine/ops/fused.h).
Status FuseNhwcConvEpilogue(Graph& graph, int64_t* count = nullptr);

}  // namespace ipfs_accelerate::engine::cpu
