#!/usr/bin/env bash
# int8 models: the generated BERT, ViT and MLP test models quantized as onnxruntime's quantizer
# writes them (tools/gen_models/quantize.py: dynamic and QDQ, per tensor and per column) run
# through our fused int8 products (FuseDynamicQuantMatMul, FuseQdqMatMul) and agree with
# onnxruntime-node on the same file; and `run --precision bf16|int8` of the float32 models agrees
# with float32 (ResNet-50: its convolutions converted too).
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3  # with torch, onnx and numpy (Debian's)
NPM="$IA_SOURCE_DIR/.deps/npm/node_modules"
"$PY" "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" --size test \
  --only bert,vit,mlp,resnet50 >"$T/gen.log" 2>&1 || { tail -20 "$T/gen.log"; fail "generating the models failed"; }

# agree OURS REFERENCE LABEL MIN_COSINE MAX_RELATIVE: every output of REFERENCE (a directory of
# .npy) against OURS: cosine similarity and the largest difference over the largest value.
agree() {
  "$PY" - "$@" <<'PY'
import os, sys
import numpy as np
ours, ref, label, min_cos, max_rel = sys.argv[1:]
for f in sorted(os.listdir(ref)):
    o = np.load(os.path.join(ours, f)).astype(np.float64).ravel()
    r = np.load(os.path.join(ref, f)).astype(np.float64).ravel()
    cos = float(o @ r / (np.linalg.norm(o) * np.linalg.norm(r)))
    rel = float(np.abs(o - r).max() / (np.abs(r).max() or 1.0))
    print(f"    {label} {f}: cosine {cos:.6f}, max difference {rel:.1e} of the largest value")
    assert cos >= float(min_cos) and rel <= float(max_rel), (cos, rel)
PY
}

inputs_of() {  # the -i NAME=FILE arguments (ours) or NAME=FILE (onnxruntime) of model $1
  local f
  for f in "$T/models/$1_test/inputs"/*.npy; do
    [ "$2" = ours ] && printf -- '-i\n'
    printf '%s=%s\n' "$(basename "$f" .npy)" "$f"
  done
}

case_onnxruntime_dynamic_quantization_runs_fused_and_matches() {
  local name mode args ort_args
  for name in bert vit mlp; do
    mapfile -t args < <(inputs_of "$name" ours)
    mapfile -t ort_args < <(inputs_of "$name" ort)
    for mode in tensor column qdq-tensor qdq-column; do
      local q="$T/$name.$mode.onnx" flag=() fused=FuseDynamicQuantMatMul
      [[ "$mode" == *column ]] && flag=(--per-channel)
      [[ "$mode" == qdq* ]] && flag+=(--qdq) fused=FuseQdqMatMul
      "$PY" "$IA_SOURCE_DIR/tools/gen_models/quantize.py" \
        "$T/models/${name}_test/model.onnx" "$q" "${flag[@]}" 2>/dev/null || fail "$name: quantizing failed"
      "$IA_BIN" run "$q" "${args[@]}" --threads 2 --op-profile -o "$T/$name.$mode.ours" \
        >/dev/null 2>"$T/err" || fail "$name: run failed: $(cat "$T/err")"
      grep -q "$fused: [1-9]" "$T/err" ||
        fail "$name $mode: the quantized products were not fused: $(grep optimizer "$T/err")"
      grep -qE "^  (MatMulInteger|MatMul) +[0-9]" "$T/err" && [ "$name" = mlp ] &&
        fail "$name $mode: a product is left unfused"
      grep -qE "^  MatMulInteger +[0-9]" "$T/err" && fail "$name $mode: a MatMulInteger is left unfused"
      NODE_PATH="$NPM" node "$IA_SOURCE_DIR/tests/engine/ort_outputs.js" "$q" "$T/$name.$mode.ort" 2 \
        "${ort_args[@]}" || fail "$name: onnxruntime-node failed"
      # The same quantized integers; only where rounding flips a quantization step do they differ.
      agree "$T/$name.$mode.ours" "$T/$name.$mode.ort/outputs" "$name/$mode vs onnxruntime" \
        0.9999 0.02 || fail "$name $mode differs from onnxruntime-node"
    done
  done
}

case_precision_flags_follow_float32() {
  local name p args
  for name in bert vit; do
    mapfile -t args < <(inputs_of "$name" ours)
    for p in bf16 int8; do
      "$IA_BIN" run "$T/models/${name}_test" "${args[@]}" --precision "$p" -o "$T/$name.$p" \
        >/dev/null 2>"$T/err" || fail "$name $p: run failed: $(cat "$T/err")"
      grep -q "precision: LowerPrecision($p): [1-9]" "$T/err" || fail "$name $p: not said: $(cat "$T/err")"
      if [ "$p" = bf16 ]; then
        agree "$T/$name.$p" "$T/models/${name}_test/outputs" "$name/$p vs float32" 0.999 0.05 || fail "$name $p"
      else
        agree "$T/$name.$p" "$T/models/${name}_test/outputs" "$name/$p vs float32" 0.99 0.1 || fail "$name $p"
      fi
    done
  done
  mapfile -t args < <(inputs_of resnet50 ours)
  for p in bf16 int8; do
    "$IA_BIN" run "$T/models/resnet50_test" "${args[@]}" --precision "$p" -o "$T/resnet50.$p" \
      >/dev/null 2>"$T/err" || fail "resnet50 $p: run failed: $(cat "$T/err")"
    grep -q "LowerPrecision($p): .* [1-9][0-9]* convolutions" "$T/err" ||
      fail "resnet50 $p: convolutions not converted: $(cat "$T/err")"
  done
  agree "$T/resnet50.bf16" "$T/models/resnet50_test/outputs" "resnet50/bf16 vs float32" 0.999 0.05 ||
    fail "resnet50 bf16"
  agree "$T/resnet50.int8" "$T/models/resnet50_test/outputs" "resnet50/int8 vs float32" 0.99 0.15 ||
    fail "resnet50 int8"
  # A precision the engine does not have: a clear error.
  "$IA_BIN" run "$T/models/mlp_test" --precision fp8 >/dev/null 2>"$T/err" && fail "fp8 accepted"
  grep -q "fp32" "$T/err" || fail "fp8: $(cat "$T/err")"
}

run_case "onnxruntime's dynamic quantization runs fused and matches onnxruntime-node" \
  case_onnxruntime_dynamic_quantization_runs_fused_and_matches
run_case "--precision bf16 and int8 follow the float32 model" case_precision_flags_follow_float32
summary
