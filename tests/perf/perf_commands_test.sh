#!/usr/bin/env bash
# analyze, compat, plan (--fit, --validate) and --hardware auto through the real binary, on
# generated test models: FLOPs that scale with the batch, the 8 platforms of the compatibility
# matrix, plans and the constraints they cannot meet, a fit to real bench runs, and bad input.
#
#   IA_BIN=build/ipfs-accelerate bash tests/perf/perf_commands_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

for v in $(env | grep -o '^IPFS_ACCELERATE_[A-Z0-9_]*' | grep -v '^IPFS_ACCELERATE_PATH$' || true); do
  unset "$v"
done
export HOME="$T/home"
mkdir -p "$HOME"
export IPFS_ACCELERATE_PATH="$T/repo"

if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_models.py" --out "$T/models" \
  --size test --only mlp,bert >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "perf_commands_test: generating the test models failed (run scripts/setup)"
  exit 1
fi
MLP="$T/models/mlp_test"
BERT="$T/models/bert_test"

# json_check FILE PYTHON-EXPRESSION: the expression over `j` (the parsed file) must be true.
json_check() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "JSON check failed: $2 on $(head -c 1500 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"j": j}) else 1)
PY
}

case_analyze() {
  "$IA_BIN" analyze "$BERT" --batch 1 --seq 16 --json >"$T/a1.json"
  "$IA_BIN" analyze "$BERT" --batch 4 --seq 16 --json >"$T/a4.json"
  json_check "$T/a1.json" "j['flops'] > 0 and j['by_class']['matmul']['flops'] > 0 and j['unknown_nodes'] == 0"
  json_check "$T/a1.json" "j['input_shapes']['input_ids'] == [1, 16] and j['weight_bytes'] > 0"
  # Hand counts for the test BERT (hidden 32, 2 layers, 4 heads, FFN 64; gen_models.py), 16 tokens:
  # the products 2·s·L·(4h² + 2h·ffn) plus the pooler's 2h², and attention's Q·Kᵀ and P·V 4·L·s²·h
  # (plus its softmax); bias adds are one FLOP per output.
  json_check "$T/a1.json" "abs(j['by_class']['matmul']['flops'] / (2*16*2*(4*32*32 + 2*32*64) + 2*32*32) - 1) < 0.02"
  json_check "$T/a1.json" "1 <= j['by_class']['attention']['flops'] / (4*2*16*16*32) < 1.2"
  # Every FLOP of an encoder is per item: four items, four times the work.
  /usr/bin/python3 -c "
import json, sys
a, b = (json.load(open(f)) for f in ('$T/a1.json', '$T/a4.json'))
sys.exit(0 if abs(b['flops'] / a['flops'] - 4) < 0.01 else 1)" || fail "FLOPs do not scale with the batch"
  "$IA_BIN" analyze "$BERT" --seq 16 --precision int8 --json >"$T/a8.json"
  /usr/bin/python3 -c "
import json, sys
a, b = (json.load(open(f)) for f in ('$T/a1.json', '$T/a8.json'))
sys.exit(0 if b['weight_bytes'] < a['weight_bytes'] and b['flops'] == a['flops'] else 1)" ||
    fail "int8 does not shrink the weights"
  "$IA_BIN" analyze "$BERT" --seq 16 --top 3 >"$T/a.txt"
  grep -q '^CLASS ' "$T/a.txt" || fail "no class table: $(head -c 600 "$T/a.txt")"
  grep -q '^HEAVIEST NODES' "$T/a.txt" || fail "no heaviest nodes"
}

case_compat() {
  "$IA_BIN" compat "$MLP" --json >"$T/c.json"
  json_check "$T/c.json" "[p['platform'] for p in j['platforms']] == ['cpu','cuda','rocm','mps','openvino','qualcomm','webnn','webgpu']"
  json_check "$T/c.json" "j['platforms'][0]['available'] and j['platforms'][0]['backend'] and j['platforms'][0]['fits']"
  # The browser's webgpu and webnn have backends (browser workers); the native accelerators not yet.
  json_check "$T/c.json" "all('no backend yet' in p['note'] for p in j['platforms'][1:6])"
  json_check "$T/c.json" "all(p['backend'] and 'no backend yet' not in p['note'] for p in j['platforms'][6:])"
  json_check "$T/c.json" "all(p['prediction']['latency_s'] > 0 for p in j['platforms'])"
  "$IA_BIN" compat "$MLP" >"$T/c.txt"
  head -n 1 "$T/c.txt" | grep -Eq '^PLATFORM +DEVICE' || fail "no header: $(head -n 2 "$T/c.txt")"
}

case_plan() {
  "$IA_BIN" plan "$MLP" --batch 1,4 --json >"$T/p.json"
  json_check "$T/p.json" "j['feasible'] and j['plan']['platform'] == 'cpu' and j['plan']['batch'] in (1, 4)"
  json_check "$T/p.json" "j['plan']['prediction']['latency_interval_s'][0] <= j['plan']['prediction']['latency_s'] <= j['plan']['prediction']['latency_interval_s'][1]"
  # A budget no configuration meets: exit 1, the constraint named, the closest plan printed.
  run_capture tight "$IA_BIN" plan "$MLP" --latency-budget 0.000001 --json
  ((RC == 1)) || fail "an impossible budget exits $RC, not 1"
  json_check "$T/tight.out" "not j['feasible'] and 'latency' in j['why'] and j['plan']['platform'] == 'cpu'"
  run_capture small "$IA_BIN" plan "$BERT" --seq 16 --memory-limit 1KiB
  ((RC == 1)) || fail "an impossible memory limit exits $RC, not 1"
  grep -q 'memory' "$T/small.out" || fail "the memory constraint is not named: $(cat "$T/small.out")"
}

case_fit_and_validate() {
  "$IA_BIN" bench "$MLP" "$BERT" --seq 16 --batch 1,2 --threads 1 --min-samples 6 --max-time 0.3 \
    --min-time 0.05 --db "$T/runs.duckdb" >"$T/bench.txt" 2>&1 || fail "bench failed: $(tail -5 "$T/bench.txt")"
  "$IA_BIN" plan --validate "$MLP" "$BERT" --db "$T/runs.duckdb" --json >"$T/v.json"
  json_check "$T/v.json" "len(j['leave_one_model_out']) == 4 and all(r['measured_s'] > 0 and r['predicted_s'] > 0 for r in j['leave_one_model_out'])"
  json_check "$T/v.json" "sorted(set(r['model'] for r in j['leave_one_model_out'])) == ['bert_test', 'mlp_test']"
  "$IA_BIN" plan --fit "$MLP" "$BERT" --db "$T/runs.duckdb" >"$T/fit.txt"
  grep -q 'calibration stored for hardware' "$T/fit.txt" || fail "no calibration: $(cat "$T/fit.txt")"
  [[ -f "$T/repo/perf_calibration.json" ]] || fail "no REPO/perf_calibration.json"
  "$IA_BIN" plan "$MLP" --batch 1 --db "$T/runs.duckdb" --json >"$T/p.json"
  json_check "$T/p.json" "j['plan']['prediction']['calibrated'] and 'fitted on 2 models' in j['plan']['prediction']['basis']"
  # A calibration file that cannot be read is set aside, not fatal: --fit replaces it.
  echo '{"x": ' >"$T/repo/perf_calibration.json"
  "$IA_BIN" plan "$MLP" --batch 1 --json >"$T/p.json" 2>"$T/p.err"
  json_check "$T/p.json" "not j['plan']['prediction']['calibrated'] and any('ignored' in n for n in j['notes'])"
}

case_hardware_auto() {
  "$IA_BIN" --set logging.level=info run "$MLP" --hardware auto >"$T/r.out" 2>"$T/r.err" ||
    fail "run --hardware auto failed: $(cat "$T/r.err")"
  grep -q -- '--hardware auto: planned cpu' "$T/r.err" || fail "the choice is not logged: $(cat "$T/r.err")"
  expect_error no_backend "no cuda backend" "$IA_BIN" run "$MLP" --hardware cuda
}

case_bad_input() {
  expect_error missing "nosuch" "$IA_BIN" analyze "$T/nosuch.onnx"
  expect_error two_models "one model" "$IA_BIN" plan "$MLP" "$BERT"
  printf 'id,platform,name,match,fp32_tflops,fp16_tflops,int8_tops,memory_gib,bandwidth_gbs,tdp_w,node_overhead_us,source\nx,cuda,X,X,fast,0,0,1,1,1,1,doc\n' >"$T/bad.csv"
  expect_error bad_profiles "bad.csv:2" "$IA_BIN" compat "$MLP" --profiles-file "$T/bad.csv"
  expect_error no_db "bench them first|no results database" "$IA_BIN" plan --validate "$MLP" --db "$T/empty.duckdb"
}

run_case "analyze: FLOPs per class that scale with the batch, int8 weights" case_analyze
run_case "compat: the 8 platforms, the CPU here with its backend" case_compat
run_case "plan: a plan on the CPU; budgets and limits it cannot meet are named" case_plan
run_case "plan --fit/--validate on real bench runs; a broken calibration is set aside" case_fit_and_validate
run_case "run --hardware auto logs the plan's choice; cuda has no backend" case_hardware_auto
run_case "bad input: missing model, two models, a profiles file with an error" case_bad_input
summary
