#!/usr/bin/env bash
# Remote inference between nodes on one machine: `serve` processes on 127.0.0.1, each with its own
# repository. A serves a model openly, B the same model behind an API key; C holds nothing at
# first. Checked:
#  - `run CID --remote A` on C answers with exactly the outputs a local run on C gives (after C
#    fetched the model), and says which peer answered;
#  - `--remote auto` sends a model C does not hold to the peer that serves it, a peer given or
#    found through a delegated router;
#  - a peer's key rides in its URL (http://KEY@host:port); without it the peer refuses, and the
#    run falls back to C itself;
#  - an https peer with a self-signed certificate is trusted through remote.ca_file, and refused
#    (the run falls back to C) without it;
#  - `serve --remote A` on C forwards KServe requests to A (A does not forward them again), and
#    when A is killed C answers itself; /metrics counts the calls and the fallback; C's routing
#    answers list A for the model A serves;
#  - bad --remote and --peer values are clear errors.
source "$(dirname "$0")/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" \
  --size test --only mlp >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "remote_infer_test: generating the test model failed (run scripts/setup)"
  exit 1
fi
for node in a b; do ROOT=$(ia "$T/repo-$node" add -Q -r "$T/models/mlp_test"); done
MODEL_CID=$(ia "$T/repo-a" stat "$ROOT/model.onnx" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["cid"])')
/usr/bin/python3 - "$T/x.npy" <<'EOF'
import sys, numpy as np
np.save(sys.argv[1], (np.arange(32, dtype=np.float32).reshape(2, 16) * 0.05 - 0.6))
EOF
KEY=remote-test-key-0123456789
echo "$KEY" >"$T/keys"

start_serve A "$T/repo-a" --set ipfs.local_node= -- -m "mlp=$ROOT"
start_serve B "$T/repo-b" --set ipfs.local_node= -- -m "mlp=$ROOT" --api-key-file "$T/keys"
B_HOSTPORT=${B_URL#http://}
echo "A $A_URL, B $B_URL (keyed), model $ROOT (model.onnx $MODEL_CID)"
C=(--set "ipfs.gateway=$A_URL" --set ipfs.local_node=)

case_run_on_a_peer_equals_a_local_run() {
  run_capture remote ia "$T/repo-c" "${C[@]}" run "$MODEL_CID" --input "x=$T/x.npy" \
    --remote "$A_URL" -o "$T/out-remote" --json
  ((RC == 0)) || fail "run --remote exited $RC: $(cat "$T/remote.err")"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["peer"] == sys.argv[2], j' \
    "$T/remote.out" "$A_URL" || fail "the answer does not name A: $(cat "$T/remote.out")"
  (($(stored_count "$T/repo-c") == 0)) || fail "running on A stored blocks on C"
  # The same run on C itself (it fetches the model from A first).
  run_capture local ia "$T/repo-c" "${C[@]}" run "$MODEL_CID" --input "x=$T/x.npy" \
    -o "$T/out-local" --json
  ((RC == 0)) || fail "the local run exited $RC: $(cat "$T/local.err")"
  for f in "$T/out-local"/*.npy; do
    cmp "$f" "$T/out-remote/$(basename "$f")" || fail "$(basename "$f") differs from the local run"
  done
  # In words, the run says who answered.
  run_capture words ia "$T/repo-c" run "$MODEL_CID" --input "x=$T/x.npy" --remote "$A_URL"
  ((RC == 0)) || fail "run exited $RC"
  assert_contains "$T/words.err" "answered by peer $A_URL"
}

case_auto_sends_a_model_it_lacks_to_the_peer_that_serves_it() {
  run_capture auto ia "$T/repo-d" --set ipfs.offline=true run "$MODEL_CID" --input "x=$T/x.npy" \
    --remote auto --peer "$A_URL" --json
  ((RC == 0)) || fail "run --remote auto exited $RC: $(cat "$T/auto.err")"
  python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["peer"] == sys.argv[2]' \
    "$T/auto.out" "$A_URL" || fail "auto did not go to A: $(cat "$T/auto.out")"
  # The peers can come from the configuration too.
  run_capture auto_conf ia "$T/repo-d" --set ipfs.offline=true --set "peers=$A_URL" \
    --set remote.mode=auto run "$MODEL_CID" --input "x=$T/x.npy" --json
  ((RC == 0)) || fail "remote.mode=auto exited $RC: $(cat "$T/auto_conf.err")"
  grep -q '"peer"' "$T/auto_conf.out" || fail "the configuration's peers were not used"
  # No peer configured, only a delegated router (A answers for what it holds): A is found.
  run_capture auto_routed ia "$T/repo-d" --set ipfs.offline=true --set "ipfs.routers=$A_URL" \
    run "$MODEL_CID" --input "x=$T/x.npy" --remote auto --json
  ((RC == 0)) || fail "auto through a router exited $RC: $(cat "$T/auto_routed.err")"
  python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["peer"] == sys.argv[2]' \
    "$T/auto_routed.out" "$A_URL" || fail "the router's provider was not used: $(cat "$T/auto_routed.out")"
}

case_a_keyed_peer_wants_its_key() {
  run_capture keyed ia "$T/repo-c" run "$MODEL_CID" --input "x=$T/x.npy" \
    --remote "http://$KEY@$B_HOSTPORT" -o "$T/out-b" --json
  ((RC == 0)) || fail "run on B with its key exited $RC: $(cat "$T/keyed.err")"
  grep -q "\"peer\": \"$B_URL\"" "$T/keyed.out" || fail "B did not answer: $(cat "$T/keyed.out")"
  ! grep -q "$KEY" "$T/keyed.out" "$T/keyed.err" || fail "the key was printed"
  for f in "$T/out-local"/*.npy; do cmp "$f" "$T/out-b/$(basename "$f")" || fail "B's answer differs"; done
  # Without the key B refuses; the run falls back to C, which holds the model now.
  run_capture unkeyed ia "$T/repo-c" run "$MODEL_CID" --input "x=$T/x.npy" --remote "$B_URL"
  ((RC == 0)) || fail "the fallback run exited $RC: $(cat "$T/unkeyed.err")"
  assert_contains "$T/unkeyed.err" "answered 401"
  assert_contains "$T/unkeyed.err" "running here"
}

case_a_tls_peer_is_verified_against_the_configured_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.pem" -days 1 \
    -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1 ||
    fail "openssl could not make a certificate"
  ia "$T/repo-t" add -Q -r "$T/models/mlp_test" >/dev/null
  start_serve S "$T/repo-t" --set ipfs.local_node= -- -m "mlp=$ROOT" --tls-cert "$T/tls.pem" --tls-key "$T/tls.key"
  [[ "$S_URL" == https://* ]] || fail "the TLS node listens on $S_URL"
  run_capture tls ia "$T/repo-c" --set "remote.ca_file=$T/tls.pem" run "$MODEL_CID" \
    --input "x=$T/x.npy" --remote "$S_URL" -o "$T/out-tls" --json
  ((RC == 0)) || fail "run on the TLS peer exited $RC: $(cat "$T/tls.err")"
  grep -q "\"peer\": \"$S_URL\"" "$T/tls.out" || fail "the TLS peer did not answer: $(cat "$T/tls.out")"
  for f in "$T/out-local"/*.npy; do cmp "$f" "$T/out-tls/$(basename "$f")" || fail "the TLS answer differs"; done
  # Without the CA its certificate is not trusted: refused, and the run falls back here.
  run_capture untrusted ia "$T/repo-c" run "$MODEL_CID" --input "x=$T/x.npy" --remote "$S_URL"
  ((RC == 0)) || fail "the fallback run exited $RC: $(cat "$T/untrusted.err")"
  grep -qiE "certificate|SSL" "$T/untrusted.err" || fail "no certificate error: $(cat "$T/untrusted.err")"
  assert_contains "$T/untrusted.err" "running here"
  kill "$S_PID"
}

case_serve_forwards_to_a_peer_and_falls_back_when_it_dies() {
  start_serve C "$T/repo-c" --set ipfs.local_node= -- --remote "$A_URL" --peer "$A_URL"
  local on_a on_c before_a a_id
  on_a=$(infer "$A_URL" "$MODEL_CID") || fail "A did not answer"
  before_a=$(metric "$A_URL" nv_inference_request_success model=mlp "version=$MODEL_CID")
  on_c=$(infer "$C_URL" "$MODEL_CID") || fail "C did not answer: $(tail -n 3 "$T/C.log")"
  [[ "$on_c" == "$on_a" ]] || fail "C's forwarded answer differs: $on_c vs $on_a"
  (($(metric "$A_URL" nv_inference_request_success model=mlp "version=$MODEL_CID") == before_a + 1)) ||
    fail "A did not run C's request"
  (($(metric "$C_URL" ia_remote_requests_total outcome=success "peer=$A_URL") == 1)) ||
    fail "C did not count the call: $(curl -s "$C_URL/metrics" | grep remote)"
  # A's status for its peers names the model with what it measured.
  curl -sf "$A_URL/ia/v1/node" | python3 -c '
import json, sys
j = json.load(sys.stdin)
m = [m for m in j["models"] if m["cid"] == sys.argv[1]]
assert m and m[0]["compute_ms"] > 0 and j["cores"] >= 1 and j["platform"], j' "$MODEL_CID" ||
    fail "A's node status: $(curl -s "$A_URL/ia/v1/node")"
  # C's routing answers list the peers it knows, for what they serve.
  a_id=$(curl -sf "$A_URL/ia/v1/node" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peer_id"])')
  for _ in $(seq 1 50); do
    curl -sf "$C_URL/routing/v1/providers/$MODEL_CID" | grep -q "$a_id" && break
    sleep 0.1
  done
  curl -sf "$C_URL/routing/v1/providers/$MODEL_CID" | grep -q "$a_id" ||
    fail "C's routing does not list A ($a_id): $(curl -s "$C_URL/routing/v1/providers/$MODEL_CID")"
  kill -9 "$A_PID"
  on_c=$(infer "$C_URL" "$MODEL_CID") || fail "C did not answer with A dead: $(tail -n 3 "$T/C.log")"
  [[ "$on_c" == "$on_a" ]] || fail "C's own answer differs: $on_c vs $on_a"
  (($(metric "$C_URL" "ia_remote_fallbacks_total") == 1)) || fail "the fallback was not counted"
  (($(metric "$C_URL" ia_remote_requests_total outcome=failure "peer=$A_URL") == 1)) ||
    fail "the failed call was not counted"
  assert_contains "$T/C.log" "trying the next choice"
}

case_bad_remote_values_are_clear_errors() {
  expect_error no_peers "--remote auto needs peers" ia "$T/repo-c" run "$MODEL_CID" --remote auto
  expect_error bad_mode "--remote wants never, auto or a peer's URL" \
    ia "$T/repo-c" run "$MODEL_CID" --remote sometimes
  expect_error bad_peer "peer 'ftp://x:1'.*scheme" \
    ia "$T/repo-c" run "$MODEL_CID" --remote auto --peer ftp://x:1
  expect_error local_file "--remote sends a model to a peer by its CID" \
    ia "$T/repo-c" run "$T/models/mlp_test/model.onnx" --remote "$B_URL"
  expect_error serve_bad "--remote wants never, auto or a peer's URL" \
    ia "$T/repo-c" serve --remote maybe
}


run_case "run on a peer gives exactly the outputs of a local run" case_run_on_a_peer_equals_a_local_run
run_case "--remote auto sends a model this node lacks to the peer that serves it" case_auto_sends_a_model_it_lacks_to_the_peer_that_serves_it
run_case "a keyed peer wants its key; without it the run falls back here" case_a_keyed_peer_wants_its_key
run_case "a TLS peer is verified against remote.ca_file; untrusted, the run falls back here" case_a_tls_peer_is_verified_against_the_configured_ca
run_case "serve forwards to its peer, and answers itself when the peer dies" case_serve_forwards_to_a_peer_and_falls_back_when_it_dies
run_case "bad --remote and --peer values are clear errors" case_bad_remote_values_are_clear_errors
summary
