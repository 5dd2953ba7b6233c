#!/usr/bin/env bash
# Operators at the opsets (18 to 21) where their signatures changed, against onnxruntime-node 1.30:
# the small models of opset18_models.py (Reduce* with axes as an input, Pad's axes and wrap, Resize's
# antialias/axes/keep_aspect_ratio_policy/half_pixel_symmetric, ScatterElements/ScatterND max and
# min, LpPool and AveragePool dilations and ceil_mode, Col2Im, GroupNormalization 18 and 21,
# CenterCropPad, Mish, Bitwise*, Cast/CastLike 19, ConstantOfShape 20, Gelu 20, AffineGrid 20,
# Split 18), each run by onnxruntime-node and by the engine at 1 and 4 threads. Floats agree to
# 1e-5 relative (1e-6 absolute near 0), integers and booleans exactly; shapes and dtypes exactly.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=. bash tests/engine/opset18_ort_test.sh [CASE...]
: "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
source "$IA_SOURCE_DIR/tests/cli/cli_lib.sh"
py=/usr/bin/python3
here="$IA_SOURCE_DIR/tests/engine"
npm="$IA_SOURCE_DIR/.deps/npm/node_modules"

if [[ ! -d "$npm/onnxruntime-node" ]] || ! command -v node >/dev/null ||
    ! "$py" -c "import numpy, onnx" 2>/dev/null; then
  echo "$TEST_NAME: needs node and onnxruntime-node in $npm, and numpy and onnx for $py (scripts/setup)"
  echo "$TEST_NAME: 0 passed, 1 failed"
  exit 1
fi
models=$("$py" "$here/opset18_models.py" "$T/models" "$@") || fail "opset18_models.py failed"

# check NAME NAME=FILE...: onnxruntime-node's outputs, then ours at 1 and 4 threads, compared.
check() {
  local name="$1"
  shift
  local inputs=() arg
  for arg in "$@"; do inputs+=(--input "$arg"); done
  NODE_PATH="$npm" node "$here/ort_outputs.js" "$T/models/$name.onnx" "$T/ort_$name" 1 "$@" ||
    fail "onnxruntime-node failed"
  local threads log
  for threads in 1 4; do
    rm -rf "$T/ours_$name"
    log=$("$IA_BIN" run "$T/models/$name.onnx" "${inputs[@]}" --output-dir "$T/ours_$name" \
      --threads "$threads" 2>&1) || fail "ipfs-accelerate run (threads $threads) failed: $(tail -n 4 <<<"$log")"
    "$py" "$IA_SOURCE_DIR/tests/engine/compare_ort.py" "$T/ort_$name" "$T/ours_$name" ||
      fail "threads $threads: outputs differ from onnxruntime-node"
  done
}

while read -r name args; do
  [[ -n "$name" ]] || continue
  # shellcheck disable=SC2086  # the NAME=FILE arguments, split on spaces (paths under $T have none)
  run_case "$name" check "$name" $args
done <<<"$models"
summary
