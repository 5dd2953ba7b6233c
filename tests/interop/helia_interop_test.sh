#!/usr/bin/env bash
# helia, the JS IPFS implementation, and our gateway and fetcher, both ways:
# (1) helia as a client: @helia/verified-fetch (helia_fetch.mjs) gets model files by CID from our
#     `serve` (raw blocks, each verified by helia against its CID) and they hash as the originals;
# (2) helia as a gateway: helia_gateway.mjs (node:http over verified-fetch, on a helia node that
#     imported our CAR export) answers the trustless gateway's raw blocks and the bafkqaaa probe,
#     and our `fetch --from` it gets the whole model into a fresh repository, byte for byte; its
#     CAR of the whole DAG (?format=car&dag-scope=all) goes through our `car import`.
# Every wait is bounded: servers 60 s to start, commands `timeout`.
set -euo pipefail
# shellcheck source=tests/interop/interop_lib.sh
source "$(dirname "$0")/interop_lib.sh"

cd "$T"
make_model model
files=(model/*)
ROOT="$(ia --repo repo-a add -Q -r --chunker size-65536 model)"
echo "model $ROOT: ${files[*]}"
for f in model/model.onnx model/bert_test.onnx; do
  [ -f "$f" ] || continue
  links="$(ia --repo repo-a stat "$ROOT/${f#model/}" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["links"])')"
  check "$f spans several blocks" yes "$( ((links > 1)) && echo yes || echo "no: $links links")"
done

echo "== helia (verified-fetch) fetches the model files from our serve and verifies them"
start_bg serve-a "$IA_BIN" --repo repo-a serve --listen 127.0.0.1:0
OURS="$BG_URL"
cids=()
for f in "${files[@]}"; do cids+=("$ROOT/${f#model/}"); done
cids+=("$(ia --repo repo-a add -n -Q --chunker size-65536 model/model.onnx)")  # the file's own CID
rc=0
node_mjs helia_fetch.mjs "$OURS" "${cids[@]}" >helia.out 2>helia.err || rc=$?
check "helia_fetch.mjs exits 0" 0 "$rc$( ((rc)) && printf ': %s' "$(tail -c 500 helia.err)")"
for f in "${files[@]}" model/model.onnx; do
  cid="${cids[0]}"
  cids=("${cids[@]:1}")
  got="$(awk -v c="$cid" '$1 == c {print $2, $3, $4}' helia.out)"
  check "helia gets ${cid:0:16}…${cid: -16} ($f): 200, its sha256 and size" \
    "200 $(sha256sum "$f" | cut -d' ' -f1) $(stat -c %s "$f")" "$got"
done

echo "== our fetch from a gateway served by helia (verified-fetch behind node:http)"
ia --repo repo-a car export "$ROOT" -o model.car >/dev/null
start_bg helia-gw "${NODE_RUN[@]}" "$T/node/helia_gateway.mjs" model.car
HELIA="$BG_URL"
check "helia gateway: the bafkqaaa probe answers 200" 200 \
  "$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.ipld.raw' "$HELIA/ipfs/bafkqaaa")"
check "helia gateway: a raw block is application/vnd.ipld.raw" "200 application/vnd.ipld.raw" \
  "$(curl -s -m 30 -o /dev/null -w '%{http_code} %{content_type}' -H 'Accept: application/vnd.ipld.raw' "$HELIA/ipfs/$ROOT?format=raw")"
succeeds "fetch --from the helia gateway, into a fresh repository" \
  ia --repo repo-b fetch "$ROOT" --from "$HELIA" --timeout 30
for f in "${files[@]}"; do
  ia --repo repo-b cat "$ROOT/${f#model/}" >got || true
  check "cat $f after the fetch: the original bytes" same "$(same_file "$f" got)"
done
succeeds "verify after the fetch" ia --repo repo-b verify "$ROOT"
check "pinned" "$ROOT" "$(ia --repo repo-b pin ls 2>/dev/null | grep -o "$ROOT" | head -n 1)"
curl -s -m 60 -o helia.car -H 'Accept: application/vnd.ipld.car' "$HELIA/ipfs/$ROOT?format=car&dag-scope=all" || true
check "helia gateway's CAR of the whole DAG: car import gives its root" "$ROOT" "$(capture ia --repo repo-d car import helia.car)"
succeeds "verify after that import" ia --repo repo-d verify "$ROOT"
absent="$(echo "not on the helia gateway" | ia --repo repo-other add -Q)"
fails_with "fetch of a CID the helia gateway lacks is an error" "$absent" \
  ia --repo repo-c fetch "$absent" --from "$HELIA" --timeout 30

summary helia_interop_test
