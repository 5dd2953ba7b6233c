#!/usr/bin/env bash
# Delegated Routing V1 both ways with the helia stack's own libraries:
#  (a) @helia/delegated-routing-v1-http-api-client reads providers from our `serve` (after `add`):
#      our PeerID (which @libp2p/peer-id accepts, and which libp2p derives from our identity file)
#      and our gateway address; none, without an error, for a CID we do not hold. The client only
#      sends "Accept: application/x-ndjson, application/json;q=0.8", so it reads our NDJSON; our
#      JSON answer is checked with a plain fetch. Also getPeers, CORS and 422 for a bad CID.
#  (b) our `routing findprovs` and `fetch --router` read providers from
#      @helia/delegated-routing-v1-http-api-server on a helia node (createHeliaLight) whose router
#      names our serve's gateway; the fetch gets the file from it and `cat` gives the same bytes.
#  (c) routers answering garbage addresses or garbage JSON: a clear error and a non-zero exit,
#      no crash, nothing pinned.
set -euo pipefail
# shellcheck source=tests/interop/interop_lib.sh
source "$(dirname "$0")/interop_lib.sh"

# ESM imports resolve beside node_modules: per-process copies of the helpers, removed at exit.
CLIENT_MJS="$NPM_DIR/routing_client.$$.mjs"
SERVER_MJS="$NPM_DIR/routing_server.$$.mjs"
cp "$IA_SOURCE_DIR/tests/interop/routing_client.mjs" "$CLIENT_MJS"
cp "$IA_SOURCE_DIR/tests/interop/routing_server.mjs" "$SERVER_MJS"
BG_PIDS=()
cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    pkill -P "$pid" 2>/dev/null || true  # `start ia …` runs the function in a subshell
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$T" "$REF_MJS" "$CLIENT_MJS" "$SERVER_MJS"
}
trap cleanup EXIT

js() { capture timeout 60 node "$CLIENT_MJS" "$@"; }
A="$T/repo-a"
C="$T/repo-c"
ia() { "$IA_BIN" --repo "$@"; }

# start NAME CMD…: runs CMD in the background; its URL (the first http://127.0.0.1:PORT it prints)
# goes to the variable NAME.
start() {
  local name="$1"
  shift
  "$@" >"$T/$name.out" 2>"$T/$name.err" &
  BG_PIDS+=($!)
  local url=""
  for _ in $(seq 1 300); do
    url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$T/$name.out" | head -n 1 || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "$name did not start: $(head -c 2000 "$T/$name.err")"; exit 1; }
  printf -v "$name" '%s' "$url"
}

cd "$T"
gen routed $((1024 * 1024 + 4321)) >model.bin
CID="$(ia "$A" add -Q model.bin)"
ABSENT="$(echo "not here" | ia "$T/repo-other" add -Q)"
start SERVE "$IA_BIN" --repo "$A" serve --listen 127.0.0.1:0
PORT="${SERVE##*:}"
ADDR="/ip4/127.0.0.1/tcp/$PORT/http"
PEER="$(grep -oE 'PeerID 12D3KooW[1-9A-HJ-NP-Za-km-z]+' "$T/SERVE.err" | cut -d' ' -f2 || true)"
echo "serve at $SERVE ($ADDR), PeerID $PEER, file $CID"

echo "== (a) the helia client reads our providers"
check "our PeerID as @libp2p/peer-id reads it" "$PEER" "$(js peer-id "$PEER")"
check "libp2p derives the same PeerID from our identity file" "$PEER" \
  "$(js identity "$A/keystore/identity")"
check "getProviders (NDJSON): our PeerID, gateway address and protocol" \
  "{\"ID\":\"$PEER\",\"Addrs\":[\"$ADDR\"],\"Protocols\":[\"transport-ipfs-gateway-http\"]}" \
  "$(js providers "$SERVE" "$CID")"
check "getProviders of a CID we do not hold: none, no error" "" "$(js providers "$SERVE" "$ABSENT")"
check "getPeers of our PeerID" \
  "{\"ID\":\"$PEER\",\"Addrs\":[\"$ADDR\"],\"Protocols\":[\"transport-ipfs-gateway-http\"]}" \
  "$(js peers "$SERVE" "$PEER")"
curl -s -D json.h -o json.body "$SERVE/routing/v1/providers/$CID"
check "JSON by default: Content-Type" "application/json" \
  "$(grep -i '^content-type:' json.h | cut -d' ' -f2 | tr -d '\r')"
check "JSON by default: the Providers list" "$PEER $ADDR" \
  "$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["Providers"]; print(len(p) == 1 and p[0]["ID"], p[0]["Addrs"][0])' json.body)"
check "CORS on answers" "*" "$(grep -i '^access-control-allow-origin:' json.h | cut -d' ' -f2 | tr -d '\r')"
curl -s -D pre.h -o /dev/null -X OPTIONS -H "Origin: http://example.org" \
  -H "Access-Control-Request-Method: GET" "$SERVE/routing/v1/providers/$CID"
check "CORS preflight: methods" "GET, OPTIONS" \
  "$(grep -i '^access-control-allow-methods:' pre.h | cut -d' ' -f2- | tr -d '\r')"
check "422 for a bad CID" "422" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE/routing/v1/providers/not-a-cid")"

echo "== (b) our client reads providers from helia's routing server"
start HELIA node "$SERVER_MJS" helia "$PEER" "$ADDR"
echo "helia routing server at $HELIA"
check "routing findprovs" "$PEER $ADDR" "$(ours routing findprovs "$CID" --router "$HELIA")"
check "routing findprovs --json" "$ADDR" \
  "$(ours routing findprovs "$CID" --router "$HELIA" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Providers"][0]["Addrs"][0])')"
fetched="$(capture "$IA_BIN" --repo "$C" fetch "$CID" --router "$HELIA" --json)"
check "fetch --router: every block from the provider's gateway" "True" \
  "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["fetched_blocks"] == j["blocks"] > 1)' "$fetched" 2>&1)"
check "fetch --router logs the gateway it found" "1" \
  "$(grep -c "gateways: $SERVE" "$T/stderr" || true)"
ia "$C" cat "$CID" >got.bin
check "cat after fetch --router: the same bytes" "" "$(cmp model.bin got.bin 2>&1 || true)"

echo "== (c) routers answering garbage"
start BADADDRS node "$SERVER_MJS" garbage-addrs "$PEER"
start BADJSON node "$SERVER_MJS" garbage-json
for bad in BADADDRS BADJSON; do
  url="${!bad}"
  rc=0
  "$IA_BIN" --repo "$T/repo-d" fetch "$CID" --router "$url" >/dev/null 2>"$bad.err" || rc=$?
  check "$bad: fetch --router exits 1 (not a crash)" "1" "$rc"
  rc=0
  "$IA_BIN" routing findprovs "$CID" --router "$url" >/dev/null 2>"$bad.find.err" || rc=$?
  check "$bad: routing findprovs exits 1" "1" "$rc"
  echo "      fetch: $(grep '^error' "$bad.err" | cut -c1-300)"
  echo "      findprovs: $(cut -c1-300 "$bad.find.err")"
done
check "garbage addresses: the error names the address" "yes" \
  "$(grep -q '^error: .*malformed multiaddr "/ip4/999.1.1.1/tcp/80/http"' BADADDRS.err && echo yes || true)"
check "garbage JSON: the error says so" "yes" \
  "$(grep -q '^error: .*syntax error' BADJSON.err && echo yes || true)"
check "nothing was pinned" "" "$(ia "$T/repo-d" pin ls 2>&1)"

summary routing_interop
