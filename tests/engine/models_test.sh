#!/usr/bin/env bash
# End-to-end model test: generates the test-size models of tools/gen_models (PyTorch exports with
# reference outputs) into $IA_SOURCE_DIR/build/models when missing or stale, runs each through
# `ipfs-accelerate run`, and compares every output with PyTorch's (relative L2 error <= 1e-4).
# MODELS_ONLY=bert,gpt2 restricts the set.
set -uo pipefail
: "${IA_BIN:?set IA_BIN to the ipfs-accelerate binary}" "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
py=/usr/bin/python3
here="$IA_SOURCE_DIR/tests/engine"
models_dir="$IA_SOURCE_DIR/build/models"

if ! "$py" -c "import torch, onnx, numpy" 2>/dev/null; then
  echo "models_test: $py cannot import torch, onnx and numpy, which generate the test models."
  echo "models_test: run scripts/setup (it installs the Debian packages python3-torch python3-onnx python3-numpy)."
  echo "models_test: 0 passed, 1 failed"
  exit 1
fi

only_flag=()
[ -n "${MODELS_ONLY:-}" ] && only_flag=(--only "$MODELS_ONLY")
gen_log=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$work" "$gen_log"' EXIT
if ! "$py" "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$models_dir" --size test "${only_flag[@]}" \
    >"$gen_log" 2>&1; then
  grep -v 'Warning\|^  ' "$gen_log" | tail -n 30
  echo "models_test: generating the models failed (its log above, warnings left out)"
  echo "models_test: 0 passed, 1 failed"
  exit 1
fi
grep -v 'up to date' "$gen_log" | grep -E '^[a-z0-9_]+_test: ' || true

passed=0
failed=0
failed_names=()
names=$(grep -oE '^[a-z0-9_]+_test' "$gen_log")
for name in $names; do
  dir="$models_dir/$name"
  out="$work/$name"
  mapfile -t specs < <("$py" "$here/compare_npy.py" "$dir" --inputs)
  args=()
  for s in "${specs[@]}"; do args+=(--input "$s"); done
  start=$(date +%s.%N)
  if ! run_log=$(timeout 300 "$IA_BIN" run "$dir/model.onnx" "${args[@]}" --output-dir "$out" 2>&1); then
    echo "FAIL $name: ipfs-accelerate run failed:"
    sed 's/^/  /' <<<"$run_log" | tail -n 5
    failed=$((failed + 1)); failed_names+=("$name")
    continue
  fi
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  if cmp_log=$("$py" "$here/compare_npy.py" "$dir" "$out"); then
    echo "ok   $name (${secs} s)"; passed=$((passed + 1))
    echo "$cmp_log"
  else
    echo "FAIL $name (${secs} s): outputs differ from PyTorch"; failed=$((failed + 1)); failed_names+=("$name")
    echo "$cmp_log"
    echo "  (to rule out the test data: $py tools/gen_models/check_onnx.py $dir)"
  fi
done

[ "$failed" -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "models_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
