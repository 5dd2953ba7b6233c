#!/usr/bin/env bash
# `ipfs-accelerate hw --profiles` and `hw --calibrate` through the real binary: the datasheet
# profiles with this machine's mapping, a user's profiles file and its errors, and a short
# calibration stored in a results database.
#
#   IA_BIN=build/ipfs-accelerate bash tests/hardware/hw_profiles_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/../cli/cli_lib.sh"

for v in $(env | grep -o '^IPFS_ACCELERATE_[A-Z0-9_]*' | grep -v '^IPFS_ACCELERATE_PATH$' || true); do
  unset "$v"
done
export HOME="$T/home"
mkdir -p "$HOME"

# json_check FILE PYTHON-EXPRESSION: the expression over `j` (the parsed file) must be true.
json_check() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "JSON check failed: $2 on $(head -c 1500 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"j": j}) else 1)
PY
}

case_profiles_json() {
  "$IA_BIN" hw --profiles --json >"$T/p.json"
  json_check "$T/p.json" "j['file'] == 'built in' and len(j['profiles']) >= 30"
  json_check "$T/p.json" "sorted(set(p['platform'] for p in j['profiles'])) == sorted(['cpu','cuda','rocm','mps','openvino','qualcomm','webnn','webgpu'])"
  json_check "$T/p.json" "any(p['id'] == 'nvidia-h100-sxm' and p['fp32_flops'] == 67e12 for p in j['profiles'])"
  json_check "$T/p.json" "isinstance(j['matched'], list) and isinstance(j['unmatched'], list)"
  json_check "$T/p.json" "j['cpu_estimate']['platform'] == 'cpu' and j['cpu_estimate']['fp32_flops'] > 0 and not j['cpu_estimate']['measured']"
}

case_profiles_table() {
  "$IA_BIN" hw --profiles >"$T/p.txt"
  head -n 1 "$T/p.txt" | grep -Eq '^ID +PLATFORM +FP32 TFLOP' || fail "no header: $(head -n 1 "$T/p.txt")"
  grep -Eq '^nvidia-h100-sxm +cuda +67.00 ' "$T/p.txt" || fail "no H100 line"
  grep -q '^this machine:' "$T/p.txt" || fail "no mapping section"
  grep -Eq '^  cpu -> ' "$T/p.txt" || fail "no cpu estimate line"
}

case_profiles_file() {
  cat >"$T/mine.csv" <<'CSV'
id,platform,name,match,fp32_tflops,fp16_tflops,int8_tops,memory_gib,bandwidth_gbs,tdp_w,node_overhead_us,source
my-gpu,cuda,My GPU,My GPU,10,20,40,8,400,150,5,"my measurements, typical overhead"
CSV
  "$IA_BIN" hw --profiles --json --profiles-file "$T/mine.csv" >"$T/p.json"
  json_check "$T/p.json" "j['file'].endswith('mine.csv') and [p['id'] for p in j['profiles']] == ['my-gpu']"
  "$IA_BIN" --set "perf.profiles_file=$T/mine.csv" hw --profiles --json >"$T/p.json"
  json_check "$T/p.json" "[p['id'] for p in j['profiles']] == ['my-gpu']"
  printf 'id,platform,name,match,fp32_tflops,fp16_tflops,int8_tops,memory_gib,bandwidth_gbs,tdp_w,node_overhead_us,source\nx,tpu,X,X,1,0,0,1,1,1,1,doc\n' >"$T/bad.csv"
  expect_error bad_platform "$T/bad.csv:2: unknown platform \"tpu\"" "$IA_BIN" hw --profiles --profiles-file "$T/bad.csv"
}

case_calibrate_json() {
  "$IA_BIN" hw --calibrate --threads 1 --seconds 0.05 --db "$T/cal.duckdb" --json >"$T/c.json"
  json_check "$T/c.json" "len(j['fingerprint']) == 16 and j['measured_at'].endswith('Z')"
  json_check "$T/c.json" "len(j['profiles']) == 1 and j['profiles'][0]['threads'] == 1 and j['profiles'][0]['measured']"
  json_check "$T/c.json" "j['profiles'][0]['fp32_flops'] > 1e9 and j['profiles'][0]['bandwidth_bytes_per_s'] > 1e8"
  json_check "$T/c.json" "'by hw --calibrate' in j['profiles'][0]['source']"
  [[ -f "$T/cal.duckdb" ]] || fail "no database written"
  "$IA_BIN" hw --calibrate --threads 1 --seconds 0.05 --db "$T/cal.duckdb" >"$T/c.txt"
  head -n 1 "$T/c.txt" | grep -Eq '^THREADS +FP32 GFLOP/s' || fail "no header: $(cat "$T/c.txt")"
  grep -Eq '^ +1 +[0-9]+ ' "$T/c.txt" || fail "no row for 1 thread: $(cat "$T/c.txt")"
  grep -q "stored in $T/cal.duckdb for fingerprint " "$T/c.txt" || fail "no stored line"
  expect_error bad_threads "--threads" "$IA_BIN" hw --calibrate --threads 0 --db "$T/cal.duckdb"
}

run_case "hw --profiles --json lists the 8 platforms' profiles" case_profiles_json
run_case "hw --profiles prints a table and this machine's mapping" case_profiles_table
run_case "--profiles-file and perf.profiles_file, errors with file:line" case_profiles_file
run_case "hw --calibrate --threads 1 stores a measured profile" case_calibrate_json
summary
