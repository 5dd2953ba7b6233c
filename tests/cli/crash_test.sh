#!/usr/bin/env bash
# `add` killed with SIGKILL part way: the repository must still verify clean (no block is ever
# published before its bytes are complete), a second `add` must finish with the CID that
# `add -n` computes, and `gc` must clear the temporary files the killed process left.
#
#   IA_BIN=build/ipfs-accelerate bash tests/cli/crash_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

SIZE=$((512 * 1024 * 1024))
R="$T/repo"
F="$T/big.bin"
echo "writing a deterministic $((SIZE >> 20)) MiB file"
make_file "$F" "$SIZE" 7
EXPECTED="$(ia "$R" add -n -Q "$F")"
echo "add -n: $EXPECTED"
[[ ! -e "$R" ]] || { echo "add -n created the repository" >&2; exit 1; }

count_blocks() { find "$R/blocks" -mindepth 2 -maxdepth 2 -name '*.data' 2>/dev/null | wc -l; }
count_temps() { find "$R/blocks/.tmp" -mindepth 1 2>/dev/null | wc -l; }

case_kill_during_add() {
  "$IA_BIN" --repo "$R" add -Q "$F" >"$T/killed.out" 2>"$T/killed.err" &
  local pid=$!
  BG_PIDS+=("$pid")
  # Poll (bounded, not timed) until the first blocks are published, then kill at once.
  local i
  for ((i = 0; i < 6000; i++)); do
    (($(count_blocks) > 0)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  local rc=0
  wait "$pid" || rc=$?
  echo "    killed add (exit $rc) with $(count_blocks) blocks published and $(count_temps) temporary files"
  (($(count_blocks) > 0)) || fail "no block was ever published"
  ((rc == 137)) || fail "add finished (exit $rc) before SIGKILL; this run did not test a crash"
  [[ ! -s "$T/killed.out" ]] || fail "the killed add printed a CID: $(cat "$T/killed.out")"
}

case_verify_clean_after_crash() {
  run_capture verify1 ia "$R" verify
  ((RC == 0)) || fail "verify after the crash exited $RC: $(head -c 1000 "$T/verify1.out")"
  assert_contains "$T/verify1.out" "all intact"
  ia "$R" verify --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["ok"] and not j["problems"], j'
  echo "    $(tail -n 1 "$T/verify1.out")"
}

case_nothing_pinned_by_the_killed_add() {
  [[ -z "$(ia "$R" pin ls)" ]] || fail "the killed add left a pin: $(ia "$R" pin ls)"
}

case_second_add_completes() {
  local got
  got="$(ia "$R" add -Q "$F")"
  [[ "$got" == "$EXPECTED" ]] || fail "second add gave $got, add -n gave $EXPECTED"
  ia "$R" pin ls | grep -qF "$EXPECTED" || fail "the second add did not pin $EXPECTED"
}

case_verify_cid_passes() {
  run_capture verify2 ia "$R" verify "$EXPECTED"
  ((RC == 0)) || fail "verify $EXPECTED exited $RC: $(head -c 1000 "$T/verify2.out")"
  assert_contains "$T/verify2.out" "all intact"
}

case_cat_gives_the_file_back() {
  local want got
  want="$(sha256sum <"$F")"
  got="$(ia "$R" cat "$EXPECTED" | sha256sum)"
  [[ "$got" == "$want" ]] || fail "cat of $EXPECTED differs from the file"
}

case_gc_cleans_temporary_files() {
  local before
  before=$(count_temps)
  run_capture gc ia "$R" gc
  ((RC == 0)) || fail "gc exited $RC: $(cat "$T/gc.err")"
  echo "    $(cat "$T/gc.out") (there were $before temporary files)"
  (($(count_temps) == 0)) || fail "gc left temporary files: $(find "$R/blocks/.tmp" -mindepth 1 | head)"
  grep -qE "(^| )$before stale temporary files" "$T/gc.out" || fail "gc reports a different number of temporary files than the $before present"
  ia "$R" verify "$EXPECTED" >/dev/null || fail "the pinned file does not verify after gc"
  ia "$R" verify >/dev/null || fail "the repository does not verify after gc"
}

run_case "kill -9 an add once it has published blocks" case_kill_during_add
run_case "verify reports a clean repository after the crash" case_verify_clean_after_crash
run_case "the killed add pinned nothing" case_nothing_pinned_by_the_killed_add
run_case "a second add completes with the add -n CID" case_second_add_completes
run_case "verify CID passes" case_verify_cid_passes
run_case "cat returns the original bytes" case_cat_gives_the_file_back
run_case "gc removes the stale temporary files" case_gc_cleans_temporary_files

summary
