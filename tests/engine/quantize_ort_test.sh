#!/usr/bin/env bash
# QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear against onnxruntime-node 1.30.0, bit for
# bit: the models of quantize_models.py (QDQ pairs per tensor and per axis with exact ties, opset
# 21's blocked, int16/uint16 and output_dtype, a dynamically quantized MatMul), every output
# identical, at 1 and 4 threads.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=. bash tests/engine/quantize_ort_test.sh
set -uo pipefail
: "${IA_BIN:?set IA_BIN to the ipfs-accelerate binary}" "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
py=/usr/bin/python3
here="$IA_SOURCE_DIR/tests/engine"
npm="$IA_SOURCE_DIR/.deps/npm/node_modules"

if [ ! -d "$npm/onnxruntime-node" ] || ! command -v node >/dev/null ||
    ! "$py" -c "import numpy, onnx" 2>/dev/null; then
  echo "quantize_ort_test: needs node and onnxruntime-node in $npm, and numpy and onnx for $py"
  echo "quantize_ort_test: run scripts/setup"
  echo "quantize_ort_test: 0 passed, 1 failed"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ia_quantize_ort.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! models=$("$py" "$here/quantize_models.py" "$work"); then
  echo "quantize_ort_test: quantize_models.py failed"
  echo "quantize_ort_test: 0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0
while read -r name input; do
  if ! NODE_PATH="$npm" node "$here/ort_outputs.js" "$work/$name.onnx" "$work/ort_$name" 2 "$input"; then
    echo "FAIL $name: onnxruntime-node failed"
    failed=$((failed + 1))
    continue
  fi
  for threads in 1 4; do
    rm -rf "$work/ours_$name"
    if ! log=$("$IA_BIN" run "$work/$name.onnx" --input "$input" --output-dir "$work/ours_$name" \
        --threads "$threads" 2>&1); then
      echo "FAIL $name (threads $threads): ipfs-accelerate run failed:"
      sed 's/^/  /' <<<"$log" | tail -n 8
      failed=$((failed + 1))
      continue
    fi
    if diff_log=$("$py" "$here/compare_ort.py" --exact "$work/ort_$name" "$work/ours_$name"); then
      echo "ok   $name (threads $threads): every output identical to onnxruntime-node"
      passed=$((passed + 1))
    else
      echo "FAIL $name (threads $threads): outputs differ from onnxruntime-node"
      echo "$diff_log"
      failed=$((failed + 1))
    fi
  done
done <<<"$models"
echo "quantize_ort_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
