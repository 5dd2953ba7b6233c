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
trap 'rm -rf "$T" "$REF_MJS"' EXIT
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
