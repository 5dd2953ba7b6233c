#!/usr/bin/env bash
# Finding nodes on the local network (serve --mdns), on a network this test makes: two network
# namespaces joined by a veth pair (10.77.0.1 and 10.77.0.2), so that no packet reaches the
# machine's own networks. The test runs in the second namespace; node A serves a model in the
# first, node C holds nothing. Checked:
#  - C finds A, lists it in its routing answers for A's model, and with --remote auto sends a
#    request for that model to A (with the cluster's key, discovery.key);
#  - an independent DNS-SD implementation (python3-zeroconf) browses and resolves A's service,
#    and C's `routing mdns` finds a service that python3-zeroconf announces;
#  - when A stops it says goodbye: C forgets it at once (its routing answers drop A);
#  - --mdns on a loopback address is a clear error.
# Needs root (ip netns); skipped (exit 77) without it.
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

if [[ -z "${IA_MDNS_NS1:-}" ]]; then
  # Outside: make the network, run this script inside the second namespace, remove the network.
  if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then
    echo "mdns_test: skipped (needs root and iproute2 to make network namespaces)"
    exit 77
  fi
  ns1="ia-mdns-a-$$" ns2="ia-mdns-c-$$" link="iamd$$"
  remove_network() { ip netns del "$ns1" 2>/dev/null || true; ip netns del "$ns2" 2>/dev/null || true; }
  trap remove_network EXIT
  if ! { ip netns add "$ns1" && ip netns add "$ns2" &&
    ip link add "${link}a" type veth peer name "${link}c" &&
    ip link set "${link}a" netns "$ns1" && ip link set "${link}c" netns "$ns2" &&
    ip -n "$ns1" addr add 10.77.0.1/24 dev "${link}a" && ip -n "$ns1" link set "${link}a" up &&
    ip -n "$ns2" addr add 10.77.0.2/24 dev "${link}c" && ip -n "$ns2" link set "${link}c" up &&
    ip -n "$ns1" link set lo up && ip -n "$ns2" link set lo up; }; then
    echo "mdns_test: skipped (cannot make network namespaces here)"
    exit 77
  fi
  rc=0
  ip netns exec "$ns2" env IA_MDNS_NS1="$ns1" bash "$0" "$@" || rc=$?
  exit "$rc"
fi

source "$(dirname "$0")/cli_lib.sh"
if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" \
  --size test --only mlp >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "mdns_test: generating the test model failed (run scripts/setup)"
  exit 1
fi
ROOT=$(ia "$T/repo-a" add -Q -r "$T/models/mlp_test")
MODEL_CID=$(ia "$T/repo-a" stat "$ROOT/model.onnx" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["cid"])')
KEY=mdns-test-cluster-key-0123456789
echo "$KEY" >"$T/keys"
AUTH=(-H "Authorization: Bearer $KEY")

SERVE_PREFIX=(ip netns exec "$IA_MDNS_NS1")
SERVE_LISTEN=10.77.0.1:0 start_serve A "$T/repo-a" --set ipfs.local_node= -- -m "mlp=$ROOT" --mdns \
  --api-key-file "$T/keys"
SERVE_PREFIX=()
SERVE_LISTEN=0.0.0.0:0 start_serve C "$T/repo-c" --set ipfs.local_node= --set ipfs.gateway= \
  --set "discovery.key=$KEY" -- --mdns --remote auto --api-key-file "$T/keys"
C_URL="http://10.77.0.2:${C_URL##*:}"
A_ID=$(curl -sf "${AUTH[@]}" "$A_URL/ia/v1/node" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peer_id"])')
echo "A $A_URL ($A_ID), C $C_URL, model $MODEL_CID"

# providers URL CID: the PeerIDs URL's routing answer lists for CID.
providers() {
  curl -s "${AUTH[@]}" "$1/routing/v1/providers/$2" |
    python3 -c 'import json,sys; print(" ".join(p["ID"] for p in (json.load(sys.stdin)["Providers"] or [])))' 2>/dev/null || true
}

case_c_finds_a_and_sends_it_the_request() {
  for _ in $(seq 1 100); do
    grep -q "found $A_URL on the local network" "$T/C.log" && break
    sleep 0.1
  done
  grep -q "found $A_URL on the local network" "$T/C.log" ||
    fail "C did not find A within 10 s: $(tail -n 5 "$T/C.log")"
  for _ in $(seq 1 50); do
    [[ " $(providers "$C_URL" "$MODEL_CID") " == *" $A_ID "* ]] && break
    sleep 0.1
  done
  [[ " $(providers "$C_URL" "$MODEL_CID") " == *" $A_ID "* ]] ||
    fail "C's routing answer for the model does not list A: $(providers "$C_URL" "$MODEL_CID")"
  local on_c on_a
  on_c=$(infer "$C_URL" "$MODEL_CID" "${AUTH[@]}") || fail "C did not answer"
  on_a=$(infer "$A_URL" "$MODEL_CID" "${AUTH[@]}") || fail "A did not answer"
  [[ "$on_c" == "$on_a" ]] || fail "C's answer differs from A's"
  curl -sf "${AUTH[@]}" "$C_URL/metrics" >"$T/metrics"
  grep -qF "ia_remote_requests_total{peer=\"$A_URL\",outcome=\"success\"} 1" "$T/metrics" ||
    fail "C's /metrics does not count one request sent to A: $(grep ia_remote_requests "$T/metrics")"
  (($(stored_count "$T/repo-c") == 0)) || fail "C stored blocks: the request ran on C"
}

case_zeroconf_sees_a_and_c_sees_zeroconf() {
  # python3-zeroconf, an independent DNS-SD implementation, resolves A's service.
  /usr/bin/python3 - "$A_URL" "$A_ID" <<'EOF' || fail "python3-zeroconf did not resolve A's service"
import sys, time
from zeroconf import Zeroconf, ServiceBrowser, ServiceListener
url, peer_id = sys.argv[1], sys.argv[2]
zc = Zeroconf(interfaces=["10.77.0.2"])
found = []
class L(ServiceListener):
    def add_service(self, zc, type_, name): found.append(name)
    def update_service(self, zc, type_, name): pass
    def remove_service(self, zc, type_, name): pass
ServiceBrowser(zc, "_ipfs-accelerate._tcp.local.", L())
deadline = time.time() + 10
while time.time() < deadline and not any(n.startswith(peer_id + ".") for n in found):
    time.sleep(0.1)
mine = [n for n in found if n.startswith(peer_id + ".")]
assert mine, ("A's service not found", found)
info = zc.get_service_info("_ipfs-accelerate._tcp.local.", mine[0], timeout=5000)
assert info is not None, "not resolved"
got = "http://%s:%d" % (info.parsed_addresses()[0], info.port)
assert got == url, (got, url)
assert info.properties[b"id"].decode() == peer_id, info.properties
zc.close()
EOF
  # A service python3-zeroconf announces from A's namespace is found by `routing mdns`.
  ip netns exec "$IA_MDNS_NS1" /usr/bin/python3 - >"$T/zc.log" 2>&1 <<'EOF' &
import socket, time
from zeroconf import Zeroconf, ServiceInfo
zc = Zeroconf(interfaces=["10.77.0.1"])
info = ServiceInfo("_ipfs-accelerate._tcp.local.", "zeroconf-node._ipfs-accelerate._tcp.local.",
                   addresses=[socket.inet_aton("10.77.0.1")], port=9999,
                   properties={"id": "zeroconf-node-id", "scheme": "http"}, server="zc-host.local.")
zc.register_service(info)
time.sleep(15)
zc.unregister_service(info)
zc.close()
EOF
  BG_PIDS+=($!)
  local listed=""
  for _ in $(seq 1 5); do
    listed=$(ia "$T/repo-c" routing mdns --wait 2 --json)
    [[ "$listed" == *zeroconf-node* ]] && break
  done
  python3 - "$listed" "$A_URL" "$A_ID" <<'EOF' || fail "routing mdns: $listed"
import json, sys
peers = json.loads(sys.argv[1])["Peers"]
by_id = {p["ID"]: p["Url"] for p in peers}
assert by_id.get("zeroconf-node-id") == "http://10.77.0.1:9999", peers
assert by_id.get(sys.argv[3]) == sys.argv[2], peers
EOF
  ia "$T/repo-c" routing mdns --wait 2 | grep -q "^$A_ID $A_URL\$" ||
    fail "routing mdns does not print A as 'PEERID URL'"
}

case_a_says_goodbye_when_it_stops() {
  kill -TERM "$A_PID"
  wait "$A_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    [[ " $(providers "$C_URL" "$MODEL_CID") " != *" $A_ID "* ]] && break
    sleep 0.1
  done
  [[ " $(providers "$C_URL" "$MODEL_CID") " != *" $A_ID "* ]] ||
    fail "C still lists A 5 s after A stopped"
  [[ "$(ia "$T/repo-c" routing mdns --wait 1)" != *"$A_ID"* ]] || fail "A is still announced"
}

case_mdns_on_loopback_is_refused() {
  expect_error loopback "listens on 127.0.0.1, which no other machine can reach" \
    ia "$T/repo-x" serve --listen 127.0.0.1:0 --mdns
}

run_case "C finds A and sends it the request" case_c_finds_a_and_sends_it_the_request
run_case "python3-zeroconf sees A, and C sees python3-zeroconf" case_zeroconf_sees_a_and_c_sees_zeroconf
run_case "A says goodbye when it stops" case_a_says_goodbye_when_it_stops
run_case "--mdns on loopback is refused" case_mdns_on_loopback_is_refused
summary
