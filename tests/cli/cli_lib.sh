# shellcheck shell=bash
# Shared by the tests/cli/*_test.sh scripts (sourced, not run): a scratch directory, a case runner
# and the few checks the scripts need. Each case runs in a subshell with `set -e`, so any failing
# command fails the case (and only the case); `fail` explains why.
#
# Needs: IA_BIN (the ipfs-accelerate binary). Uses python3 (standard library only).

set -euo pipefail

: "${IA_BIN:?IA_BIN must point at the ipfs-accelerate binary}"
[[ -x "$IA_BIN" ]] || { echo "IA_BIN=$IA_BIN is not executable" >&2; exit 2; }
IA_BIN="$(cd "$(dirname "$IA_BIN")" && pwd)/$(basename "$IA_BIN")"

TEST_NAME="${TEST_NAME:-$(basename "$0" .sh)}"
T="$(mktemp -d "${TMPDIR:-/tmp}/ia_${TEST_NAME}_XXXXXX")"
# Never touch ~/.ipfs_accelerate: every command gets --repo, and the default points here too.
export IPFS_ACCELERATE_PATH="$T/default-repo-must-not-be-used"
BG_PIDS=()

cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    pkill -9 -P "$pid" 2>/dev/null || true  # a shell function started with & is a subshell
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  chmod -R u+w "$T" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

PASSED=0
FAILED=0
FAILED_NAMES=()

# Stops what a case started in the background (BG_PIDS from index $1 on) and their children: a
# case runs in a subshell, whose additions to BG_PIDS the script's cleanup never sees.
case_cleanup() {
  local p
  for p in "${BG_PIDS[@]:$1}"; do
    pkill -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
}

# run_case "description" function [args...]
run_case() {
  local name="$1"
  shift
  echo "--- $name"
  local rc=0
  set +e
  (
    set -e
    trap "case_cleanup ${#BG_PIDS[@]}" EXIT
    "$@"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    PASSED=$((PASSED + 1))
    echo "    ok"
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$name")
    echo "    FAILED: $name"
  fi
}

summary() {
  echo
  echo "$TEST_NAME: $PASSED passed, $FAILED failed"
  local n
  for n in "${FAILED_NAMES[@]}"; do echo "  failed: $n"; done
  ((FAILED == 0))
}

fail() {
  echo "    $*" >&2
  exit 1
}

# ia REPO args...: the binary on a given repository.
ia() {
  local repo="$1"
  shift
  "$IA_BIN" --repo "$repo" "$@"
}

# start_serve NAME REPO [GLOBAL_ARGS...] [-- SERVE_ARGS...]: starts `serve` on REPO at a free port
# of 127.0.0.1 (the binary itself, so that cleanup stops it), with GLOBAL_ARGS before the command
# (--set ...) and SERVE_ARGS after it; waits up to 10 s for it to listen and sets NAME_URL (http or
# https) and NAME_PID. stdout in $T/NAME.out, stderr (the log: one JSON line per request) in
# $T/NAME.log. Exits the script (or the case) when it does not start.
start_serve() {
  local name="$1" repo="$2"
  shift 2
  local global=()
  while (($# > 0)) && [[ "$1" != "--" ]]; do
    global+=("$1")
    shift
  done
  (($# > 0)) && shift
  # SERVE_PREFIX (an array set before the call, e.g. (ip netns exec NS)) runs the server through
  # another command;
  # SERVE_LISTEN picks its address (default 127.0.0.1:0).
  ${SERVE_PREFIX[@]+"${SERVE_PREFIX[@]}"} "$IA_BIN" --repo "$repo" "${global[@]}" serve \
    --listen "${SERVE_LISTEN:-127.0.0.1:0}" "$@" >"$T/$name.out" 2>"$T/$name.log" &
  local pid=$!
  BG_PIDS+=("$pid")
  for _ in $(seq 1 200); do
    grep -q "listening on" "$T/$name.out" && break
    sleep 0.05
  done
  local url
  url=$(grep -oE 'https?://[0-9.]+:[0-9]+' "$T/$name.out" | head -n 1 || true)
  [[ -n "$url" ]] || { echo "serve $name did not start: $(head -c 1000 "$T/$name.log")"; exit 1; }
  printf -v "${name}_URL" '%s' "$url"
  printf -v "${name}_PID" '%s' "$pid"
}

# infer URL MODEL [CURL_OPTIONS...]: the outputs (JSON) of the KServe v2 answer of the test
# models' MLP (input x: FP32 [2,16]), the same input every time.
infer() {
  local data
  data=$(python3 -c 'print([round(0.05 * i - 0.6, 6) for i in range(32)])')
  curl -sf --max-time 60 "${@:3}" -H 'content-type: application/json' \
    -d "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,16],\"data\":$data}]}" \
    "$1/v2/models/$2/infer" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["outputs"]))'
}

# stored_count REPO: how many blocks REPO holds (finished writes only).
stored_count() { find "$1/blocks" -name '*.data' -not -path '*/.tmp/*' 2>/dev/null | wc -l; }

# metric URL NAME [LABEL=VALUE...]: the value of that series of URL's /metrics, whatever the
# order of its labels (0 when absent).
metric() {
  curl -sf "$1/metrics" | python3 -c '
import re, sys
name, want = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
for line in sys.stdin:
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line.strip())
    if m and m.group(1) == name and dict(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(2) or "")) == want:
        print(int(float(m.group(3)))); break
else:
    print(0)' "${@:2}"
}

# serve_bg REPO [SERVE_ARGS...]: start_serve with its URL in BASE (output in $T/serve.out and
# $T/serve.log).
serve_bg() {
  local repo="$1"
  shift
  start_serve serve "$repo" -- "$@"
  BASE="$serve_URL"
}

# run_capture NAME cmd...: runs cmd with stdout in $T/NAME.out, stderr in $T/NAME.err; sets RC.
run_capture() {
  local name="$1"
  shift
  RC=0
  "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
}

# expect_error NAME PATTERN cmd...: cmd must exit non-zero with PATTERN (extended regex) on stderr
# and print nothing on stdout.
expect_error() {
  local name="$1" pattern="$2"
  shift 2
  run_capture "$name" "$@"
  ((RC != 0)) || fail "$name: exit status 0, expected an error (stdout: $(head -c 300 "$T/$name.out"))"
  grep -Eq -- "$pattern" "$T/$name.err" || fail "$name: stderr lacks /$pattern/: $(head -c 500 "$T/$name.err")"
  [[ ! -s "$T/$name.out" ]] || fail "$name: stdout should be empty on error: $(head -c 300 "$T/$name.out")"
  echo "    error as expected (exit $RC): $(head -n 1 "$T/$name.err" | head -c 300)"
}

assert_contains() {  # assert_contains FILE FIXED-STRING [what]
  grep -qF -- "$2" "$1" || fail "${3:-$1} does not contain '$2': $(head -c 500 "$1")"
}

# The repository as a user could observe it: every file under blocks/ (with its hash), pins, aliases.
repo_state() {
  local repo="$1"
  (
    cd "$repo"
    find blocks -mindepth 1 | LC_ALL=C sort
    find blocks -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    for f in pins.json aliases.json; do
      if [[ -f "$f" ]]; then sha256sum "$f"; else echo "$f absent"; fi
    done
  )
}

# Deterministic pseudo-random bytes: make_file PATH SIZE [SEED]
make_file() {
  python3 - "$1" "$2" "${3:-1}" <<'EOF'
import random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
with open(path, "wb") as f:
    left = size
    while left:
        n = min(left, 16 << 20)
        f.write(r.randbytes(n))
        left -= n
EOF
}

# The raw-leaf CIDv1 and the block file name of a byte range of a file (its sha2-256):
# leaf_info FILE OFFSET LENGTH -> "CID FILENAME"
leaf_info() {
  python3 - "$@" <<'EOF'
import base64, hashlib, sys
path, off, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as f:
    f.seek(off)
    mh = bytes([0x12, 0x20]) + hashlib.sha256(f.read(n)).digest()
b32 = lambda b: base64.b32encode(b).decode().lower().rstrip("=")
print("b" + b32(bytes([0x01, 0x55]) + mh), b32(mh) + ".data")
EOF
}
