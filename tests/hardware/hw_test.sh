#!/usr/bin/env bash
# `ipfs-accelerate hw` through the real binary on this machine: the JSON report, the table, the CPU
# flags against the kernel's, and the configuration layers (REPO/config.json < ./ipfs_accelerate.json <
# IPFS_ACCELERATE_* < --set) with their errors.
#
#   IA_BIN=build/ipfs-accelerate bash tests/hardware/hw_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/../cli/cli_lib.sh"

# No configuration from the person running the tests: a fresh HOME and no config variables.
for v in $(env | grep -o '^IPFS_ACCELERATE_[A-Z0-9_]*' | grep -v '^IPFS_ACCELERATE_PATH$' || true); do
  unset "$v"
done
export HOME="$T/home"
mkdir -p "$HOME" "$T/work"

# hw_in DIR args...: the binary run from DIR (where ./ipfs_accelerate.json is looked for).
hw_in() {
  local dir="$1"
  shift
  (cd "$dir" && "$IA_BIN" "$@")
}

# json_check FILE PYTHON-EXPRESSION: the expression over `j` (the parsed file) must be true.
json_check() {
  /usr/bin/python3 - "$1" "$2" <<'EOF' || fail "JSON check failed: $2 on $(head -c 1500 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {"j": j})
sys.exit(0 if ok else 1)
EOF
}

case_json_has_every_platform() {
  hw_in "$T/work" hw --json --no-browser-probe >"$T/hw.json"
  json_check "$T/hw.json" "sorted(j) == sorted(['cpu','cuda','rocm','mps','openvino','qualcomm','webnn','webgpu'])"
  json_check "$T/hw.json" "all(isinstance(p['available'], bool) and isinstance(p['reason'], str) and isinstance(p['priority'], int) for p in j.values())"
  json_check "$T/hw.json" "all(p['available'] or p['reason'] for p in j.values())"
  json_check "$T/hw.json" "j['cpu']['available'] and j['cpu']['reason'] == '' and j['cpu']['logical_cores'] >= 1"
  json_check "$T/hw.json" "j['cpu']['priority'] == 50 and j['cuda']['priority'] == 100"
  json_check "$T/hw.json" "j['cpu']['memory_total_bytes'] > 0 and j['cpu']['physical_cores'] >= 1"
  # Linux has no Metal; the browser is not probed (tests/browser/browser_backend_test.mjs probes it).
  json_check "$T/hw.json" "not j['mps']['available'] and 'only on macOS' in j['mps']['reason']"
  json_check "$T/hw.json" "not j['webnn']['available'] and not j['webgpu']['available']"
  json_check "$T/hw.json" "'no browser configured' in j['webgpu']['reason']"
  if [[ ! -e /dev/kfd ]]; then
    json_check "$T/hw.json" "not j['rocm']['available'] and '/dev/kfd not found' in j['rocm']['reason']"
  fi
  if [[ ! -e /dev/fastrpc-cdsp && ! -e /dev/cdsprpc-smd ]]; then
    json_check "$T/hw.json" "not j['qualcomm']['available'] and 'FastRPC' in j['qualcomm']['reason']"
  fi
  if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libopenvino_c\.so'; then
    json_check "$T/hw.json" "not j['openvino']['available'] and 'not installed' in j['openvino']['reason']"
  fi
}

case_cuda_unavailable_without_a_driver() {
  hw_in "$T/work" hw --json >"$T/hw.json"
  if /sbin/ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    # A machine with a driver: either devices or the reason there are none.
    json_check "$T/hw.json" "(j['cuda']['available'] and len(j['cuda']['devices']) > 0) or j['cuda']['reason']"
  else
    # The CUDA toolkit's stubs/libcuda.so is not a driver.
    json_check "$T/hw.json" "not j['cuda']['available'] and j['cuda']['reason'].startswith('no NVIDIA driver: libcuda.so.1 not found')"
  fi
}

case_cpu_flags_match_proc_cpuinfo() {
  hw_in "$T/work" hw --json >"$T/hw.json"
  /usr/bin/python3 - "$T/hw.json" <<'EOF' || fail "cpu flags differ from /proc/cpuinfo"
import json, sys
x86 = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
       "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "sha_ni"]
arm = ["neon", "asimd", "asimdhp", "asimddp", "sha2", "sve", "sve2", "bf16", "i8mm", "sme"]
kernel = None
for line in open("/proc/cpuinfo"):
    key, _, value = line.partition(":")
    if key.strip() in ("flags", "Features"):
        known = x86 if key.strip() == "flags" else arm
        present = set(value.split())
        kernel = [f for f in known if f in present]
        break
reported = json.load(open(sys.argv[1]))["cpu"]["flags"]
print(f"    kernel:   {kernel}\n    reported: {reported}")
sys.exit(0 if kernel is not None and reported == kernel else 1)
EOF
}

case_table_sorted_by_priority() {
  hw_in "$T/work" hw >"$T/hw.txt"
  head -n 1 "$T/hw.txt" | grep -Eq '^PLATFORM +AVAILABLE +PRIORITY +DETAILS' || fail "no header: $(head -n 1 "$T/hw.txt")"
  grep -Eq '^cpu +yes +50 ' "$T/hw.txt" || fail "no cpu line: $(cat "$T/hw.txt")"
  [[ "$(grep -c -E '^(cpu|cuda|rocm|mps|openvino|qualcomm|webnn|webgpu) ' "$T/hw.txt")" == 8 ]] || fail "not 8 platforms"
  awk 'NR > 1 && NF >= 3 && $3 ~ /^[0-9]+$/ { if (prev != "" && $3 > prev) exit 1; prev = $3 }' "$T/hw.txt" ||
    fail "not sorted by priority: $(cat "$T/hw.txt")"
  grep -Eq '^fingerprint [0-9a-f]{16}$' "$T/hw.txt" || fail "no fingerprint line"
}

case_set_changes_priority() {
  hw_in "$T/work" --set priorities.cpu=7 hw --json >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 7"
  hw_in "$T/work" hw --set priorities.cpu=7 >"$T/hw.txt"
  grep -Eq '^cpu +yes +7 ' "$T/hw.txt" || fail "table lacks priority 7: $(cat "$T/hw.txt")"
  tail -n 2 "$T/hw.txt" | head -n 1 | grep -q '^cpu ' || fail "cpu (priority 7) is not last"
  # --set before and after `hw` add up, in command-line order.
  hw_in "$T/work" --set priorities.cpu=7 --set priorities.mps=1 hw --set priorities.rocm=9 \
    --set priorities.mps=2 --json >"$T/hw.json"
  json_check "$T/hw.json" "[j[k]['priority'] for k in ('cpu', 'rocm', 'mps')] == [7, 9, 2]"
  expect_error bad_set 'set priorities.cpu=high: priorities.cpu must be an integer from 0 to 1000, got "high"' \
    hw_in "$T/work" hw --set priorities.cpu=high
  expect_error unknown_key 'unknown configuration key "priorities.gpu"; known keys: ' \
    hw_in "$T/work" hw --set priorities.gpu=1
}

case_syntax_error_names_file_line_column() {
  local dir="$T/bad-json"
  mkdir -p "$dir"
  printf '{\n  "priorities": {\n    "cpu": 60,,\n  }\n}\n' >"$dir/ipfs_accelerate.json"
  expect_error syntax "$dir/ipfs_accelerate.json:3:15: syntax error" hw_in "$dir" hw
  expect_error syntax_json "$dir/ipfs_accelerate.json:3:15: syntax error" hw_in "$dir" hw --json
}

case_layers_override_in_order() {
  local dir="$T/layers"
  # The user layer lives in the repository (cli_lib points IPFS_ACCELERATE_PATH at a scratch one).
  mkdir -p "$dir" "$IPFS_ACCELERATE_PATH"
  cat >"$IPFS_ACCELERATE_PATH/config.json" <<'EOF'
{"priorities": {"cpu": 1, "cuda": 11, "rocm": 21}}
EOF
  echo '{"priorities": {"cpu": 2, "cuda": 12, "rocm": 22, "mps": 32, "openvino": 42}}' >"$dir/ipfs_accelerate.json"
  (cd "$dir" && IPFS_ACCELERATE_PRIORITIES_CPU=3 IPFS_ACCELERATE_PRIORITIES_CUDA=13 \
    "$IA_BIN" --set priorities.cpu=4 hw --json) >"$T/hw.json"
  json_check "$T/hw.json" "[j[k]['priority'] for k in ('cpu', 'cuda', 'rocm', 'mps', 'openvino')] == [4, 13, 21, 32, 42]"
  # Without --set, the environment wins; without it, REPO's file (the user's) over the project's.
  (cd "$dir" && IPFS_ACCELERATE_PRIORITIES_CPU=3 "$IA_BIN" hw --json) >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 3"
  hw_in "$dir" hw --json >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 1 and j['mps']['priority'] == 32"
  hw_in "$T/work" hw --json >"$T/hw.json"
  json_check "$T/hw.json" "j['cpu']['priority'] == 1 and j['mps']['priority'] == 85"
  expect_error bad_env 'environment variable IPFS_ACCELERATE_PRIORITIES_ROCM: priorities.rocm must be an integer' \
    env IPFS_ACCELERATE_PRIORITIES_ROCM=x "$IA_BIN" hw
  rm -f "$IPFS_ACCELERATE_PATH/config.json"
}

case_browser_path() {
  hw_in "$T/work" hw --json --set "browser.path=$T/no-such-browser" >"$T/hw.json"
  json_check "$T/hw.json" "j['webgpu']['reason'] == 'browser.path $T/no-such-browser does not exist'"
  # A "browser" that exits at once: the probe says so, naming it.
  printf '#!/bin/sh\necho not a browser\n' >"$T/fake-browser"
  chmod +x "$T/fake-browser"
  hw_in "$T/work" hw --json --set "browser.path=$T/fake-browser" >"$T/hw.json"
  json_check "$T/hw.json" "not j['webnn']['available'] and 'probing $T/fake-browser failed' in j['webnn']['reason'] and 'not a browser' in j['webnn']['reason']"
}

case_help() {
  "$IA_BIN" hw --help >"$T/help.txt"
  for s in "--json" "REPO/config.json" "./ipfs_accelerate.json" \
    "IPFS_ACCELERATE_PRIORITIES_CUDA" "--set KEY=VALUE" "priorities.cpu" "browser.path" \
    "bench.max_time_s"; do
    assert_contains "$T/help.txt" "$s" "hw --help"
  done
}

run_case "hw --json has the 8 platforms, unavailable ones with reasons" case_json_has_every_platform
run_case "cuda is unavailable without an NVIDIA driver" case_cuda_unavailable_without_a_driver
run_case "cpu flags are the kernel's" case_cpu_flags_match_proc_cpuinfo
run_case "the table is sorted by priority" case_table_sorted_by_priority
run_case "--set changes a priority" case_set_changes_priority
run_case "a syntax error names file:line:column" case_syntax_error_names_file_line_column
run_case "./ipfs_accelerate.json < REPO/config.json < environment < --set" case_layers_override_in_order
run_case "browser.path" case_browser_path
run_case "hw --help explains the configuration" case_help
summary
