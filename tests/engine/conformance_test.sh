#!/usr/bin/env bash
# The ONNX backend conformance cases (libonnx-testdata), at 1 thread and at 4 (so the kernels'
# split paths run too): prints the counts, fails if fewer pass than
# tests/engine/conformance_floor at either (raise it as kernels land), if any case is skipped for
# a reason other than the ones the engine does not aim at (maps) or the
# cases no runtime can match (random outputs, test data that contradict their model; the list
# with reasons is in src/engine/conformance.cc), or if the runner crashes.
set -euo pipefail
data=/usr/share/libonnx-testdata/data/node
floor=$(cat "$IA_SOURCE_DIR/tests/engine/conformance_floor")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0
for threads in 1 4; do
  "$IA_BIN" conformance --threads "$threads" "$data" >"$out"
  summary=$(tail -n 1 "$out")
  echo "$summary (threads $threads)"
  passed=$(sed -E 's/^conformance: ([0-9]+)\/.*/\1/' <<<"$summary")
  bad_skips=$(grep '^skip ' "$out" | grep -vE ': (non-tensor (input|output) .* \\(map\\)|random output|the test data)' || true)
  if [ -n "$bad_skips" ]; then
    echo "skips without an accepted reason:"; echo "$bad_skips"; fails=1
  fi
  if [ "$passed" -lt "$floor" ]; then
    echo "only $passed cases pass at $threads threads; the floor is $floor. Failing cases:"
    grep '^FAIL' "$out" | head -50; fails=1
  fi
done
[ "$fails" -eq 0 ] && echo "conformance_test: 1 passed, 0 failed" || echo "conformance_test: 0 passed, 1 failed"
exit "$fails"
