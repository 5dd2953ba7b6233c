#!/usr/bin/env bash
# `ipfs-accelerate serve` over real sockets with real clients (Node's HTTP, curl, ajv against the
# protocol's OpenAPI description): see serve_test.mjs. Generates its three test models first.
set -uo pipefail
: "${IA_BIN:?set IA_BIN to the ipfs-accelerate binary}" "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" --size test \
    --only mlp,bert,vit >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "serve_test: generating the test models failed (run scripts/setup)"
  echo "serve_test: 0 passed, 1 failed"
  exit 1
fi
mkdir -p "$T/work"

# curl, the JSON client people use: liveness, metadata and one inference.
echo "== curl"
"$IA_BIN" --repo "$T/repo" serve --listen 127.0.0.1:0 --model "mlp=$T/models/mlp_test" >"$T/serve.out" 2>"$T/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$T/serve.out" && break; sleep 0.1; done
base=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$T/serve.out")
curl_ok=1
curl -sf "$base/v2/health/live" | grep -q '"live":true' || { echo "  FAIL curl live"; curl_ok=0; }
curl -sf "$base/v2/models/mlp" | grep -q '"platform":"onnx"' || { echo "  FAIL curl metadata"; curl_ok=0; }
data=$(printf '0.5,%.0s' $(seq 16)); data="[${data%,}]"
curl -sf -H 'content-type: application/json' \
  -d "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":$data}]}" \
  "$base/v2/models/mlp/infer" | grep -q '"name":"y","datatype":"FP32","shape":\[1,8\]' || { echo "  FAIL curl infer"; curl_ok=0; }
code=$(curl -s -o /dev/null -w '%{http_code}' -d '{' "$base/v2/models/mlp/infer")
[ "$code" = 400 ] || { echo "  FAIL curl malformed JSON gave $code"; curl_ok=0; }
kill -TERM "$pid"
wait "$pid" || { echo "  FAIL serve exited $? on SIGTERM"; curl_ok=0; }

IA_BIN="$IA_BIN" IA_SOURCE_DIR="$IA_SOURCE_DIR" MODELS="$T/models" WORK="$T/work" \
  node "$IA_SOURCE_DIR/tests/server/serve_test.mjs"
rc=$?
if [ "$curl_ok" != 1 ]; then
  echo "serve_test: the curl cases failed"
  exit 1
fi
exit $rc
