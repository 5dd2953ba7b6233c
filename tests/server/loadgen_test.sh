#!/usr/bin/env bash
# `ipfs-accelerate loadgen` against `ipfs-accelerate serve`, through the real binary: a closed
# loop with JSON tensors and one with the binary extension, an open loop (Poisson arrivals), each
# recorded in a results database that `runs` lists and `report` renders as scenario "server";
# an unknown model is an error that records nothing; SIGTERM stops the server with exit 0.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=$PWD bash tests/server/loadgen_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:?IA_SOURCE_DIR must point at the source tree}"

# No configuration from the person running the tests.
for v in $(env | grep -o '^IPFS_ACCELERATE_[A-Z0-9_]*' | grep -v '^IPFS_ACCELERATE_PATH$' || true); do
  unset "$v"
done
export HOME="$T/home"
mkdir -p "$HOME"
DB="$T/results.duckdb"

json_check() {  # json_check FILE PYTHON-EXPRESSION over `j`
  /usr/bin/python3 - "$1" "$2" <<'EOF' || fail "JSON check failed: $2 on $(head -c 1500 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"j": j}) else 1)
EOF
}

if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" --size test \
  --only mlp >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "loadgen_test: generating the test model failed (run scripts/setup)"
  echo "loadgen_test: 0 passed, 1 failed"
  exit 1
fi

"$IA_BIN" --repo "$T/repo" serve --listen 127.0.0.1:0 --model "mlp=$T/models/mlp_test" \
  --max-batch-size 8 >"$T/serve.out" 2>"$T/serve.err" &
SERVER=$!
BG_PIDS+=("$SERVER")
for _ in $(seq 600); do
  grep -q "listening on" "$T/serve.out" && break
  kill -0 "$SERVER" 2>/dev/null || break
  sleep 0.1
done
BASE=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$T/serve.out" || true)
if [[ -z "$BASE" ]]; then
  echo "serve did not start: $(head -c 1000 "$T/serve.err")"
  echo "loadgen_test: 0 passed, 1 failed"
  exit 1
fi
echo "server at $BASE"

# loadgen NAME args...: a run against the server's mlp, recorded in $DB; must exit 0.
loadgen() {
  local name="$1"
  shift
  run_capture "$name" ia "$T/repo" loadgen "$BASE" --model mlp --db "$DB" "$@"
  ((RC == 0)) || fail "$name: loadgen exited $RC: $(head -c 1000 "$T/$name.err")"
}

case_closed_loop_json() {
  loadgen closed --concurrency 4 --duration 2 --json
  json_check "$T/closed.out" "j['mode'] == 'closed' and j['model'] == 'mlp' and j['ok'] > 0"
  json_check "$T/closed.out" "j['errors'] == 0 and j['errors_by_status'] == {} and j['dropped'] == 0"
  json_check "$T/closed.out" "j['requests'] == j['ok'] + j['unfinished'] and not j['interrupted']"
  json_check "$T/closed.out" "j['throughput']['requests_per_s'] > 0 and j['latency_ms']['p50'] > 0"
  json_check "$T/closed.out" "j['latency_ms']['p50'] <= j['latency_ms']['p99'] <= j['latency_ms']['max']"
  assert_contains "$T/closed.err" "input x synthesized: float32 1x16"
}

case_closed_loop_binary() {
  loadgen binary --concurrency 4 --duration 2 --binary
  grep -Eq '^requests +[0-9]+ sent, [1-9][0-9]* ok, 0 errors$' "$T/binary.out" ||
    fail "binary: $(cat "$T/binary.out")"
  grep -Eq '^throughput [0-9.]+ req/s' "$T/binary.out" || fail "binary: no throughput line"
  grep -Eq '^latency +p50 [0-9.]+ ms, p90' "$T/binary.out" || fail "binary: no latency line"
  grep -Eq "^run [0-9]+ complete in $DB\$" "$T/binary.out" || fail "binary: $(tail -n 1 "$T/binary.out")"
}

case_open_loop() {
  loadgen open --rate 20 --duration 2 --json
  json_check "$T/open.out" "j['mode'] == 'open' and j['ok'] > 0 and j['errors'] == 0"
  json_check "$T/open.out" "j['dropped'] == 0 and not j['interrupted']"
}

case_unknown_model_records_nothing() {
  expect_error unknown "no model 'nope'" ia "$T/repo" loadgen "$BASE" --model nope --db "$DB"
}

case_runs_lists_them() {
  run_capture runs ia "$T/repo" runs --db "$DB" --json
  ((RC == 0)) || fail "runs exited $RC: $(cat "$T/runs.err")"
  json_check "$T/runs.out" "len(j) == 3 and all(r['status'] == 'complete' and r['results'] == 1 for r in j)"
  json_check "$T/runs.out" "all('loadgen' in r['command'] for r in j)"
  json_check "$T/runs.out" "'--binary' in j[1]['command'] and '--rate' in j[2]['command']"
}

case_report_renders_them() {
  local id
  for id in 1 2 3; do
    run_capture "report$id" ia "$T/repo" report --db "$DB" --run "$id" --format json
    ((RC == 0)) || fail "report --run $id exited $RC: $(cat "$T/report$id.err")"
    json_check "$T/report$id.out" "j['run'] == $id and j['runs'][-1]['status'] == 'complete'"
    json_check "$T/report$id.out" "[(r['scenario'], r['model_name'], r['batch']) for r in j['runs'][-1]['results']] == [('server', 'mlp', 1)]"
    json_check "$T/report$id.out" "j['runs'][-1]['results'][0]['hardware'].startswith('server:127.0.0.1:')"
    json_check "$T/report$id.out" "len(j['runs'][-1]['results'][0]['samples_ms']) > 0"
  done
  json_check "$T/report1.out" "j['runs'][-1]['results'][0]['threads'] == 4"
  json_check "$T/report2.out" "j['runs'][-1]['results'][0]['hardware'].endswith(' binary')"
  json_check "$T/report3.out" "j['runs'][-1]['results'][0]['hardware'].endswith(' rate 20.00/s')"
  run_capture md ia "$T/repo" report --db "$DB" --format md
  ((RC == 0)) || fail "report --format md exited $RC: $(cat "$T/md.err")"
  assert_contains "$T/md.out" "mlp"
  assert_contains "$T/md.out" "server"
  run_capture html ia "$T/repo" report --db "$DB" -o "$T/report.html"
  ((RC == 0)) || fail "report -o report.html exited $RC: $(cat "$T/html.err")"
  assert_contains "$T/report.html" "<svg"
}

# The server is this shell's child: it is stopped and waited for here, outside the cases'
# subshells, and the case checks how it ended.
stop_server() {
  kill -TERM "$SERVER"
  SERVER_RC=0
  wait "$SERVER" || SERVER_RC=$?
}

case_sigterm_stops_the_server() {
  ((SERVER_RC == 0)) || fail "serve exited $SERVER_RC on SIGTERM: $(tail -c 500 "$T/serve.err")"
}

run_case "closed loop, 4 connections, JSON tensors" case_closed_loop_json
run_case "closed loop, binary tensor extension" case_closed_loop_binary
run_case "open loop, Poisson arrivals at 20/s" case_open_loop
run_case "an unknown model is an error naming it" case_unknown_model_records_nothing
run_case "runs lists the three runs" case_runs_lists_them
run_case "report renders them as scenario server" case_report_renders_them
stop_server
run_case "SIGTERM stops the server with exit 0" case_sigterm_stops_the_server
summary
