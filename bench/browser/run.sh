#!/usr/bin/env bash
# The browser backend's cost, in one run on this machine (docs/BENCHMARKS.md, "Browser backend"):
#  - latency of each model through our backend (engine session -> WebSocket -> page ->
#    onnxruntime-web -> back) vs the same onnxruntime-web session timed inside the page alone,
#    same inputs, on the wasm EP and on WebGPU (SwiftShader here: software, correctness only);
#  - the transfer of a 10 MB model from the node's gateway into the page, every block's SHA-256
#    checked vs not checked.
# Usage: bench/browser/run.sh [RUNS]   (IA_BIN: the binary, default build/ipfs-accelerate)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${IA_BIN:-$root/build/ipfs-accelerate}"
runs="${1:-50}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
repo="$tmp/repo"
/usr/bin/python3 "$root/bench/browser/make_mlp.py" "$tmp/mlp10.onnx" 10
/usr/bin/python3 "$root/tools/gen_models/gen_models.py" --out "$tmp/models" --size test \
  --only bert,resnet50 >/dev/null 2>&1
mlp=$("$bin" --repo "$repo" add -Q "$tmp/mlp10.onnx")
for m in resnet50_test bert_test; do
  cid=$("$bin" --repo "$repo" add -Q "$tmp/models/$m/model.onnx")
  for ep in wasm webgpu; do
    echo "== $m ($cid) on $ep"
    "$bin" --repo "$repo" browser-bench "$cid" --ep "$ep" --runs "$runs" --fetch-runs 3 \
      --dim batch=1 --dim sequence=16 2>&1 | grep -v -e '^INFO' -e 'is synthesized'
  done
done
echo "== mlp 10 MB ($mlp) on wasm"
"$bin" --repo "$repo" browser-bench "$mlp" --ep wasm --runs "$runs" --fetch-runs 9 2>&1 |
  grep -v -e '^INFO' -e 'is synthesized'
