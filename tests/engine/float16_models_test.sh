#!/usr/bin/env bash
# Models stored in float16 (tools/gen_models/to_float16.py applied to the generated ResNet-50 and
# BERT test models: weights, inputs, outputs and Casts in float16) run: the engine computes them
# in float32 with float16 at their edges (optimizer::ComputeHalfFloatsInFloat32). Each output
# equals onnxruntime-node's on the same float16 file and inputs within float16 rounding, and the
# float32 model's within float16 tolerance.
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3  # with torch, onnx and numpy (Debian's)
NPM="$IA_SOURCE_DIR/.deps/npm/node_modules"
"$PY" "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" --size test \
  --only resnet50,bert >"$T/gen.log" 2>&1 || { tail -20 "$T/gen.log"; fail "generating the models failed"; }

# check NAME: the float16 file through our engine and onnxruntime-node, both against the float32
# model's outputs.
check() {
  local name=$1 dir="$T/models/$1_test" args=() f
  "$PY" "$IA_SOURCE_DIR/tools/gen_models/to_float16.py" "$dir/model.onnx" "$T/$name.f16.onnx" \
    --inputs "$dir/inputs" "$T/$name.in" || fail "$name: conversion failed"
  local ort_args=()
  for f in "$T/$name.in"/*.npy; do
    args+=(-i "$(basename "$f" .npy)=$f")
    ort_args+=("$(basename "$f" .npy)=$f")
  done
  "$IA_BIN" run "$T/$name.f16.onnx" "${args[@]}" --threads 2 -o "$T/$name.ours" >/dev/null 2>"$T/err" ||
    fail "$name: run failed: $(cat "$T/err")"
  NODE_PATH="$NPM" node "$IA_SOURCE_DIR/tests/engine/ort_outputs.js" "$T/$name.f16.onnx" \
    "$T/$name.ort" 2 "${ort_args[@]}" || fail "$name: onnxruntime-node failed"
  "$PY" - "$T/$name.ours" "$T/$name.ort/outputs" "$dir/outputs" "$name" <<'PY' || fail "$name differs"
import os, sys
import numpy as np
ours, ort, fp32, name = sys.argv[1:]
for f in sorted(os.listdir(fp32)):
    o = np.load(os.path.join(ours, f))
    assert o.dtype == np.float16, (f, o.dtype)
    o = o.astype(np.float32)
    r = np.load(os.path.join(ort, f)).astype(np.float32)
    w = np.load(os.path.join(fp32, f))
    scale = float(np.abs(w).max()) or 1.0
    vs_ort = float(np.abs(o - r).max()) / scale
    vs_fp32 = float(np.abs(o - w).max()) / scale
    print(f"    {name} {f}: |ours - onnxruntime| {vs_ort:.1e}, |ours - float32 model| {vs_fp32:.1e}"
          " (relative to the largest value)")
    assert vs_ort <= 2e-3, vs_ort    # a float16 ulp or two of the largest value
    assert vs_fp32 <= 2e-2, vs_fp32  # float16 weights and inputs against float32 ones
PY
}

case_float16_models_match_onnxruntime_and_the_float32_model() {
  check resnet50
  check bert
}

run_case "float16 models match onnxruntime-node and the float32 model" \
  case_float16_models_match_onnxruntime_and_the_float32_model
summary
