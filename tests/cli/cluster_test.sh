#!/usr/bin/env bash
# Several nodes on one machine: three `serve` processes on 127.0.0.1 (A, B, C), each with its own
# repository; A and B hold a model and a large file (many small blocks), C holds nothing. Content
# moves between them by CID alone, through fetch on a miss (ipfs.gateway names the other nodes):
#  - a model added on A runs on C by CID, through C's KServe endpoint and through `run`, with the
#    outputs A gives;
#  - offline, or with the seed's default sources where nothing listens, a miss is a quick, clear
#    error;
#  - a fetch killed with SIGKILL resumes and asks for none of the blocks it had stored;
#  - A killed (SIGKILL) in the middle of C's fetch: C finishes from B.
# Requests are counted in the sources' access logs (serve logs one JSON line per request).
source "$(dirname "$0")/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" \
  --size test --only mlp >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "cluster_test: generating the test model failed (run scripts/setup)"
  exit 1
fi
MODEL_DIR="$T/models/mlp_test"
BIG_BYTES=$((32 * 1024 * 1024))
make_file "$T/big.bin" "$BIG_BYTES" 11
# Larger than what a streamed CAR can have in flight (socket buffers and the fetcher's queues), so
# killing its source after C stored a few blocks stops the transfer in the middle.
HUGE_BYTES=$((160 * 1024 * 1024))
make_file "$T/huge.bin" "$HUGE_BYTES" 12
for node in a b; do
  ROOT=$(ia "$T/repo-$node" add -Q -r "$MODEL_DIR")
  BIG=$(ia "$T/repo-$node" add -Q --chunker size-8192 "$T/big.bin")
  HUGE=$(ia "$T/repo-$node" add -Q --chunker size-65536 "$T/huge.bin")
done
MODEL_CID=$(ia "$T/repo-a" stat "$ROOT/model.onnx" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["cid"])')
echo "model $ROOT (model.onnx $MODEL_CID), big file $BIG"

# stored_blocks REPO: the names of the block files REPO holds (not the writers' temporary files).
stored_blocks() { find "$1/blocks" -name '*.data' -not -path '*/.tmp/*' -printf '%f\n' 2>/dev/null || true; }

# gateway_requests NAME: the raw-block requests NAME's access log holds so far.
gateway_requests() { grep -c '"path":"/ipfs/' "$T/$1.log" || true; }

start_serve A "$T/repo-a"
start_serve B "$T/repo-b"
start_serve C "$T/repo-c" --set "ipfs.gateway=$A_URL,$B_URL" --set ipfs.local_node=
echo "A $A_URL, B $B_URL, C $C_URL"
ONLY_A=(--set "ipfs.gateway=$A_URL" --set ipfs.local_node=)
ONLY_B=(--set "ipfs.gateway=$B_URL" --set ipfs.local_node=)

case_a_model_added_on_a_runs_on_c_by_cid() {
  local on_a on_c
  on_a=$(infer "$A_URL" "$MODEL_CID")
  [[ -n "$on_a" ]] || fail "A did not run its own model"
  # C's serve fetches the model from A on the first request, verified block by block.
  on_c=$(infer "$C_URL" "$MODEL_CID" --max-time 300) || fail "C's infer failed: $(tail -n 3 "$T/C.log")"
  [[ "$on_c" == "$on_a" ]] || fail "outputs differ: A $on_a, C $on_c"
  (($(gateway_requests A) > 0)) || fail "C asked A for nothing"
  # `run` on C's repository by the directory's CID: what C lacks (the directory) comes from A.
  run_capture run_c timeout 300 "$IA_BIN" --repo "$T/repo-c" "${ONLY_A[@]}" run "$ROOT" -o "$T/out-c" --json
  ((RC == 0)) || fail "run on C exited $RC: $(cat "$T/run_c.err")"
  run_capture run_a ia "$T/repo-a" run "$ROOT" -o "$T/out-a" --json
  ((RC == 0)) || fail "run on A exited $RC: $(cat "$T/run_a.err")"
  cmp "$T/run_a.out" "$T/run_c.out" || fail "run's summaries differ"
  for f in "$T/out-a"/*.npy; do cmp "$f" "$T/out-c/$(basename "$f")" || fail "$f differs"; done
  ! grep -q "fetch" "$T/run_c.err" || fail "--json told of the fetch: $(cat "$T/run_c.err")"
  ia "$T/repo-c" pin ls >"$T/c-pins"
  assert_contains "$T/c-pins" "$ROOT"
  ia "$T/repo-c" verify "$ROOT" >/dev/null || fail "C's copy does not verify"
}

case_offline_or_without_sources_a_miss_is_a_quick_clear_error() {
  local D="$T/repo-d"
  expect_error offline "is not in the repository.*ipfs-accelerate fetch $ROOT" \
    ia "$D" "${ONLY_A[@]}" run "$ROOT" --offline
  expect_error offline_key "fetching is off" ia "$D" "${ONLY_A[@]}" --set ipfs.offline=true cat "$BIG"
  (($(stored_blocks "$D" | wc -l) == 0)) || fail "offline stored blocks"
  # The seed's defaults (an IPFS node on localhost:5001, a gateway on localhost:8080), where no
  # such thing runs: a quick error naming both and how to set them.
  local start=$SECONDS
  expect_error defaults "localhost:5001 \(ipfs.local_node\).*localhost:8080 \(ipfs.gateway\).*--set ipfs.gateway=" \
    env -u IPFS_ACCELERATE_IPFS_GATEWAY "$IA_BIN" --repo "$D" get "$ROOT" -o "$T/never"
  ((SECONDS - start < 20)) || fail "the default sources took $((SECONDS - start)) s to fail"
  [[ ! -e "$T/never" ]] || fail "get wrote output after a failed fetch"
}

case_a_killed_fetch_resumes_without_asking_for_stored_blocks() {
  local E="$T/repo-e" total before_kill pid
  "$IA_BIN" --repo "$E" "${ONLY_B[@]}" fetch "$BIG" --json >"$T/fetch-killed.out" 2>&1 &
  pid=$!
  BG_PIDS+=("$pid")
  for _ in $(seq 1 2400); do
    (($(stored_blocks "$E" | wc -l) >= 600)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -9 "$pid" 2>/dev/null || fail "the fetch ended before it could be killed: $(cat "$T/fetch-killed.out")"
  wait "$pid" 2>/dev/null || true
  stored_blocks "$E" | LC_ALL=C sort >"$T/stored-at-kill"
  echo "    killed with $(wc -l <"$T/stored-at-kill") blocks stored"
  sleep 0.3  # B writes each log line once its answer is out
  before_kill=$(wc -l <"$T/B.log")  # lines, not requests: the log has other lines too
  # Resume through fetch on a miss (`get`): only what is missing is asked for.
  run_capture resume timeout 300 "$IA_BIN" --repo "$E" "${ONLY_B[@]}" get "$BIG" -o "$T/big.resumed"
  ((RC == 0)) || fail "resume exited $RC: $(cat "$T/resume.err")"
  cmp "$T/big.bin" "$T/big.resumed" || fail "resumed content differs"
  sleep 0.3
  tail -n "+$((before_kill + 1))" "$T/B.log" | grep '"path":"/ipfs/' >"$T/resume-requests" || true
  python3 - "$T/resume-requests" "$T/stored-at-kill" <<'EOF' || fail "the resume asked for stored blocks"
import base64, json, sys
asked = []
for line in open(sys.argv[1]):
    cid = json.loads(line)["path"].split("/")[2]
    raw = base64.b32decode(cid[1:].upper() + "=" * (-len(cid[1:]) % 8))
    asked.append(base64.b32encode(raw[2:]).decode().lower().rstrip("=") + ".data")  # v1, 1-byte codec
stored = set(l.strip() for l in open(sys.argv[2]))
again = [a for a in asked if a in stored]
print(f"    resume asked {len(asked)} blocks, {len(stored)} were stored, asked again: {len(again)}")
sys.exit(1 if again or not asked else 0)
EOF
  total=$(ia "$E" fetch "$BIG" --json --from http://127.0.0.1:1 |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["blocks"], j["fetched_blocks"])')
  [[ "$total" == *" 0" ]] || fail "after the resume the DAG is not complete: $total"
}

case_c_finishes_from_b_when_a_is_killed_mid_fetch() {
  local pid before after c_before
  c_before=$(stored_blocks "$T/repo-c" | wc -l)
  # C's node is configured with A first, then B; `cat` on C's repository fetches on the miss.
  "$IA_BIN" --repo "$T/repo-c" --set "ipfs.gateway=$A_URL,$B_URL" --set ipfs.local_node= \
    cat "$HUGE" >"$T/huge.from-c" 2>"$T/cat-c.err" &
  pid=$!
  BG_PIDS+=("$pid")
  for _ in $(seq 1 2400); do
    (($(stored_blocks "$T/repo-c" | wc -l) >= c_before + 128)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -9 "$A_PID" 2>/dev/null || fail "A was gone already"
  before=$(gateway_requests B)
  kill -0 "$pid" 2>/dev/null || fail "C's fetch ended before A was killed (make the file larger)"
  echo "    A killed with $(($(stored_blocks "$T/repo-c" | wc -l) - c_before)) blocks stored on C"
  local rc=0
  timeout 300 tail --pid="$pid" -f /dev/null || true
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "C's cat exited $rc: $(head -c 1000 "$T/cat-c.err")"
  cmp "$T/huge.bin" "$T/huge.from-c" || fail "the content C got differs"
  sleep 0.3
  after=$(gateway_requests B)
  ((after > before)) || fail "B served nothing after A died"
  echo "    B answered $((after - before)) requests after A died"
  ia "$T/repo-c" verify "$HUGE" >/dev/null || fail "C's copy does not verify"
}

run_case "a model added on A runs on C by CID, outputs equal to A's" case_a_model_added_on_a_runs_on_c_by_cid
run_case "offline, or with the seed's default sources and none running, a miss is a quick, clear error" case_offline_or_without_sources_a_miss_is_a_quick_clear_error
run_case "a fetch killed with SIGKILL resumes and asks for none of the blocks it stored" case_a_killed_fetch_resumes_without_asking_for_stored_blocks
run_case "A killed in the middle of C's fetch: C finishes from B" case_c_finishes_from_b_when_a_is_killed_mid_fetch
summary
