#!/usr/bin/env bash
# Our L3 client (fetch --local-node, Kubo's RPC API) against a Kubo RPC stand-in
# (kubo_standin.mjs; no Kubo binary can be installed here) that the official JS client,
# kubo-rpc-client, accepts: kubo-rpc-client imports the CAR of our `car export` and gets the
# same blocks back; our fetch gets the model from it; a block served corrupted is refused, never
# stored, and the fetch completes from a gateway given beside it; a node that never answers is
# a timeout error. Every wait is bounded: servers 60 s to start, commands `timeout`.
set -euo pipefail
# shellcheck source=tests/interop/interop_lib.sh
source "$(dirname "$0")/interop_lib.sh"

cd "$T"


make_model model
files=(model/*)
ROOT="$(ia --repo repo-a add -Q -r --chunker size-65536 model)"
ia --repo repo-a car export "$ROOT" -o model.car >/dev/null
# The second chunk of model.onnx: a raw leaf, CIDv1 of its sha2-256 (what --corrupt spoils).
LEAF="$(python3 -c '
import base64, hashlib, sys
with open(sys.argv[1], "rb") as f:
    f.seek(65536)
    cid = bytes([1, 0x55, 0x12, 0x20]) + hashlib.sha256(f.read(65536)).digest()
print("b" + base64.b32encode(cid).decode().lower().rstrip("="))' model/model.onnx)"
succeeds "the leaf to corrupt is a block of the model" ia --repo repo-a stat "$LEAF"
echo "model $ROOT (${files[*]}), a leaf of model.onnx: $LEAF"

echo "== kubo-rpc-client accepts the stand-in: dag.import of our CAR, block.stat/get/put, dag.export"
start_bg kubo "${NODE_RUN[@]}" "$T/node/kubo_standin.mjs"
KUBO="$BG_URL"
rc=0
node_mjs kubo_client_check.mjs "$KUBO" model.car >client.out 2>&1 || rc=$?
sed 's/^/        /' client.out
check "kubo-rpc-client: every check passed" 0 "$rc"

echo "== fetch --local-node: the model from the stand-in, into a fresh repository"
succeeds "fetch --local-node" ia --repo repo-b fetch "$ROOT" --local-node "$KUBO"
for f in "${files[@]}"; do
  ia --repo repo-b cat "$ROOT/${f#model/}" >got || true
  check "cat $f after the fetch: the original bytes" same "$(same_file "$f" got)"
done
succeeds "verify after the fetch" ia --repo repo-b verify "$ROOT"
check "pinned" "$ROOT" "$(ia --repo repo-b pin ls 2>/dev/null | grep -o "$ROOT" | head -n 1)"

echo "== a block served corrupted: refused, not stored; a gateway beside the node completes the fetch"
start_bg bad-kubo "${NODE_RUN[@]}" "$T/node/kubo_standin.mjs" --corrupt "$LEAF"
BAD="$BG_URL"
curl -sf -m 60 -X POST -F "file=@model.car" "$BAD/api/v0/dag/import" >import.out || true
check "dag/import by curl (multipart) names the root" "$ROOT" \
  "$(python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["Root"]["Cid"]["/"])' <import.out 2>/dev/null)"
fails_with "fetch from a node serving a corrupted block fails, naming the corruption" \
  "$LEAF.*(do not hash|corrupt)|(do not hash|corrupt).*$LEAF" ia --repo repo-c fetch "$ROOT" --local-node "$BAD" --timeout 20
fails_with "the corrupted block is not in the repository (stat fails)" "not found|not in" \
  ia --repo repo-c stat "$LEAF"
check "nothing pinned after the failed fetch" "" "$(ia --repo repo-c pin ls 2>/dev/null)"
start_bg serve-a "$IA_BIN" --repo repo-a serve --listen 127.0.0.1:0
GATEWAY="$BG_URL"
succeeds "fetch --local-node BAD --from GATEWAY completes" \
  ia --repo repo-c fetch "$ROOT" --local-node "$BAD" --from "$GATEWAY" --timeout 20
ia --repo repo-c cat "$ROOT/model.onnx" >got || true
check "cat model.onnx after it: the original bytes" same "$(same_file model/model.onnx got)"
succeeds "verify after it" ia --repo repo-c verify "$ROOT"

echo "== a node that never answers block/get or dag/export: a timeout error, and fetch exits"
start_bg stall-kubo "${NODE_RUN[@]}" "$T/node/kubo_standin.mjs" --stall
STALL="$BG_URL"
start=$SECONDS
fails_with "fetch from a stalled node with --timeout 2 fails with a timeout" \
  "time(d)? ?out|deadline|timeout" ia --repo repo-d fetch "$ROOT" --local-node "$STALL" --timeout 2
check "and it exits within 30 s" yes "$( ((SECONDS - start < 30)) && echo yes || echo "no: $((SECONDS - start)) s")"

summary kubo_interop_test
