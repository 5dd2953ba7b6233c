#!/usr/bin/env bash
# Repository management through the real binary: pins, aliases, gc, ls/stat JSON, --help, and
# several processes sharing one repository.
#
#   IA_BIN=build/ipfs-accelerate bash tests/cli/repo_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

R="$T/repo"

# json_check FILE PYTHON-EXPRESSION: the expression over `j` (the parsed file) must be true.
json_check() {
  python3 - "$1" "$2" <<'EOF' || fail "JSON check failed: $2 on $(head -c 600 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {"j": j})
sys.exit(0 if ok else 1)
EOF
}

mkdir -p "$T/files/d/sub"
printf 'small file a' >"$T/files/a.txt"
make_file "$T/files/b.bin" $((3 * 1048576 + 5)) 11
printf 'garbage soon' >"$T/files/g.txt"
make_file "$T/files/l.bin" 200000 13
printf 'in the directory' >"$T/files/d/x.txt"
make_file "$T/files/d/sub/y.bin" 300000 12
A="$(ia "$R" add -Q "$T/files/a.txt")"
B="$(ia "$R" add -Q --no-pin "$T/files/b.bin")"
echo "a=$A b=$B"

case_pin_ls_after_add() {
  ia "$R" pin ls --json >"$T/pins.json"
  json_check "$T/pins.json" "[p['cid'] for p in j] == ['$A'] and j[0]['type'] == 'recursive'"
  ia "$R" pin ls >"$T/pins.txt"
  assert_contains "$T/pins.txt" "$A recursive"
}

case_pin_add_rm() {
  [[ "$(ia "$R" pin add "$B")" == "pinned $B" ]] || fail "pin add output"
  ia "$R" pin ls --json >"$T/pins.json"
  json_check "$T/pins.json" "sorted(p['cid'] for p in j) == sorted(['$A', '$B'])"
  [[ "$(ia "$R" pin rm "$A")" == "unpinned $A" ]] || fail "pin rm output"
  ia "$R" pin ls --json >"$T/pins.json"
  json_check "$T/pins.json" "[p['cid'] for p in j] == ['$B']"
  expect_error unpin_again "$A is not pinned" ia "$R" pin rm "$A"
  ia "$R" pin add "$A" >/dev/null
}

case_pin_refuses_missing_dag() {
  local absent="bafkreie5cvv4h45wvaoxppe2g6lo6ly6ryl6jodpuj4pbv2d4fskr6jmwe"  # valid CID, not stored
  local before
  before="$(repo_state "$R")"
  expect_error pin_absent "$absent" ia "$R" pin add "$absent"
  [[ "$(repo_state "$R")" == "$before" ]] || fail "a failed pin changed the repository"
}

case_alias_set_rm_ls() {
  [[ "$(ia "$R" alias set model "$A")" == "model -> $A" ]] || fail "alias set output"
  ia "$R" alias ls --json >"$T/aliases.json"
  json_check "$T/aliases.json" "j == {'model': '$A'}"
  ia "$R" alias set model "$B" >/dev/null  # aliases move
  ia "$R" alias set other model >/dev/null  # an alias may be set from another alias
  ia "$R" alias ls --json >"$T/aliases.json"
  json_check "$T/aliases.json" "j == {'model': '$B', 'other': '$B'}"
  ia "$R" alias ls >"$T/aliases.txt"
  assert_contains "$T/aliases.txt" "model $B"
  cmp -s <(ia "$R" cat model) "$T/files/b.bin" || fail "cat through the alias"
  [[ "$(ia "$R" stat --json model | python3 -c 'import json,sys; print(json.load(sys.stdin)["cid"])')" == "$B" ]] ||
    fail "stat through the alias"
  ia "$R" alias rm other
  ia "$R" alias ls --json >"$T/aliases.json"
  json_check "$T/aliases.json" "j == {'model': '$B'}"
  expect_error alias_rm_again 'no alias named "other"' ia "$R" alias rm other
  expect_error alias_unknown_target '"nosuch" is neither a CID nor an alias' ia "$R" alias set x nosuch
}

case_alias_invalid_names() {
  local before
  before="$(repo_state "$R")"
  local name
  for name in ".hidden" "a/b" "has space" "$A" "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD" \
    "$(printf 'x%.0s' {1..129})"; do
    expect_error alias_bad "alias" ia "$R" alias set "$name" "$A"
  done
  expect_error alias_empty "1 to 128" ia "$R" alias set "" "$A"
  [[ "$(repo_state "$R")" == "$before" ]] || fail "a refused alias changed the repository"
}

case_ls_json() {
  local d
  d="$(ia "$R" add -r -Q "$T/files/d")"
  ia "$R" ls --json "$d" >"$T/ls.json"
  local x y sub
  x="$(ia "$R" add -n -Q "$T/files/d/x.txt")"
  y="$(ia "$R" add -n -Q "$T/files/d/sub/y.bin")"
  sub="$(ia "$R" add -n -r -Q "$T/files/d/sub")"
  json_check "$T/ls.json" "[(e['name'], e['type'], e['cid']) for e in j] == [('sub', 'directory', '$sub'), ('x.txt', 'file', '$x')]"
  json_check "$T/ls.json" "j[1]['size'] == 16"
  ia "$R" ls --json "$d/sub" >"$T/ls2.json"
  json_check "$T/ls2.json" "j == [{'name': 'y.bin', 'cid': '$y', 'type': 'file', 'size': 300000}]"
  ia "$R" ls "$d" >"$T/ls.txt"
  assert_contains "$T/ls.txt" "sub/"
  # `ls` of a file lists the file itself, as ls(1) does.
  [[ "$(ia "$R" ls "$d/x.txt")" == "$x 16 x.txt" ]] || fail "ls of a file: $(ia "$R" ls "$d/x.txt")"
}

case_stat_json() {
  ia "$R" stat --json "$B" >"$T/stat.json"
  json_check "$T/stat.json" "set(j) == {'cid', 'codec', 'version', 'type', 'size', 'cumulative_size', 'block_size', 'links'}"
  json_check "$T/stat.json" "j['cid'] == '$B' and j['codec'] == 'dag-pb' and j['version'] == 1 and j['type'] == 'file'"
  json_check "$T/stat.json" "j['size'] == 3 * 1048576 + 5 and j['links'] == 4 and j['cumulative_size'] > j['size'] and 0 < j['block_size'] < 1000"
  ia "$R" stat --json "$A" >"$T/stat2.json"
  json_check "$T/stat2.json" "j['codec'] == 'raw' and j['type'] == 'file' and j['size'] == 12 and j['links'] == 0 and j['block_size'] == 12"
  local v0
  v0="$(ia "$R" add -Q --profile unixfs-v0-2015 "$T/files/a.txt")"
  ia "$R" stat --json "$v0" >"$T/stat3.json"
  json_check "$T/stat3.json" "j['version'] == 0 and j['cid'].startswith('Qm') and j['size'] == 12"
}

case_gc_keeps_pinned_and_aliased() {
  local g l d blocks_before blocks_after
  g="$(ia "$R" add -Q --no-pin "$T/files/g.txt")"
  l="$(ia "$R" add -Q --no-pin --alias only-alias "$T/files/l.bin")"
  d="$(ia "$R" add -r -Q "$T/files/d")"
  blocks_before=$(find "$R/blocks" -name '*.data' | wc -l)
  run_capture gc ia "$R" gc
  ((RC == 0)) || fail "gc failed: $(cat "$T/gc.err")"
  echo "    $(cat "$T/gc.out")"
  blocks_after=$(find "$R/blocks" -name '*.data' | wc -l)
  ((blocks_after < blocks_before)) || fail "gc removed nothing ($blocks_before blocks before, $blocks_after after)"
  expect_error cat_gc "$g" ia "$R" cat "$g"
  [[ "$(ia "$R" cat "$A")" == "small file a" ]] || fail "pinned $A unreadable after gc"
  cmp -s <(ia "$R" cat model) "$T/files/b.bin" || fail "aliased/pinned b unreadable after gc"
  cmp -s <(ia "$R" cat only-alias) "$T/files/l.bin" || fail "alias-only DAG unreadable after gc"
  cmp -s <(ia "$R" cat "$l") "$T/files/l.bin" || fail "alias-only DAG unreadable by CID after gc"
  [[ "$(ia "$R" cat "$d/x.txt")" == "in the directory" ]] || fail "pinned directory unreadable after gc"
  ia "$R" verify >/dev/null || fail "verify after gc"
  # Unpinning and unaliasing lets the next gc take them.
  ia "$R" alias rm only-alias
  ia "$R" gc >/dev/null
  expect_error cat_gc2 "$l" ia "$R" cat "$l"
  ia "$R" verify >/dev/null || fail "verify after the second gc"
}

case_help_everywhere() {
  local cmd
  local -a cmds=("" add cat get ls stat verify car "car export" "car import" pin "pin add" "pin rm" "pin ls" gc
    alias "alias set" "alias rm" "alias ls")
  for cmd in "${cmds[@]}"; do
    # shellcheck disable=SC2086
    run_capture help "$IA_BIN" $cmd --help
    ((RC == 0)) || fail "'$cmd --help' exited $RC"
    grep -q "Usage" "$T/help.out" || fail "'$cmd --help' printed no usage"
  done
  [[ ! -e "$IPFS_ACCELERATE_PATH" ]] || fail "--help created a repository"
  # No subcommand: the command list, as `ipfs` and `git` print it.
  run_capture nocmd "$IA_BIN"
  ((RC == 0)) || fail "no subcommand exited $RC"
  grep -q "add" "$T/nocmd.out" || fail "no subcommand printed no command list"
}

case_concurrent_adds() {
  make_file "$T/c1.bin" $((64 << 20)) 21
  make_file "$T/c2.bin" $((64 << 20)) 22
  local want1 want2
  want1="$(ia "$R" add -n -Q "$T/c1.bin")"
  want2="$(ia "$R" add -n -Q "$T/c2.bin")"
  "$IA_BIN" --repo "$R" add -Q "$T/c1.bin" >"$T/c1.out" 2>"$T/c1.err" &
  local p1=$!
  "$IA_BIN" --repo "$R" add -Q "$T/c2.bin" >"$T/c2.out" 2>"$T/c2.err" &
  local p2=$!
  local rc1=0 rc2=0
  wait "$p1" || rc1=$?
  wait "$p2" || rc2=$?
  ((rc1 == 0)) || fail "first add failed ($rc1): $(cat "$T/c1.err")"
  ((rc2 == 0)) || fail "second add failed ($rc2): $(cat "$T/c2.err")"
  [[ "$(cat "$T/c1.out")" == "$want1" ]] || fail "first add gave $(cat "$T/c1.out"), expected $want1"
  [[ "$(cat "$T/c2.out")" == "$want2" ]] || fail "second add gave $(cat "$T/c2.out"), expected $want2"
  ia "$R" pin ls >"$T/pins.txt"
  assert_contains "$T/pins.txt" "$want1"
  assert_contains "$T/pins.txt" "$want2"
  ia "$R" verify >/dev/null || fail "verify after concurrent adds"
  [[ -z "$(find "$R/blocks/.tmp" -mindepth 1)" ]] || fail "temporary files left after two completed adds"
}

# Exit status 0 while the exclusive lock on REPO/repo.lock is free (python's flock is flock(2),
# the same lock the binary takes).
lock_is_free() {
  python3 - "$1/repo.lock" <<'EOF'
import fcntl, sys
with open(sys.argv[1], "a") as f:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(1)
EOF
}

# wait_bounded PID: waits for PID; a safety net kills it (status 124) if it is still running after
# several minutes, so that a deadlock fails the case instead of hanging the suite.
wait_bounded() {
  local i
  for ((i = 0; i < 6000; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$1" 2>/dev/null; then
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    return 124
  fi
  wait "$1"
}

case_gc_waits_for_other_users() {
  # Another process holds the repository: a CAR import reading from a pipe we control.
  make_file "$T/held.bin" 2000000 31
  local held i
  held="$(ia "$T/scratch" add -Q --chunker size-65536 "$T/held.bin")"
  ia "$T/scratch" car export "$held" -o "$T/held.car"
  mkfifo "$T/fifo"
  "$IA_BIN" --repo "$R" car import - <"$T/fifo" >"$T/imp.out" 2>"$T/imp.err" &
  local imp=$! gc=""
  exec 3>"$T/fifo"
  # On failure: let go of the pipe and stop both processes before failing the case.
  abort() {
    exec 3>&-
    kill -9 "$imp" $gc 2>/dev/null || true
    wait "$imp" $gc 2>/dev/null || true
    fail "$@"
  }
  for ((i = 0; i < 12000; i++)); do
    lock_is_free "$R" || break
    kill -0 "$imp" 2>/dev/null || break
    sleep 0.01
  done
  lock_is_free "$R" && abort "the importer never took the repository lock"

  # 3>&-: gc must not hold the pipe's write end, or the importer would never see its end.
  "$IA_BIN" --repo "$R" gc >"$T/gcw.out" 2>"$T/gcw.err" 3>&- &
  gc=$!
  for ((i = 0; i < 12000; i++)); do
    grep -q "waiting for other" "$T/gcw.err" && break
    kill -0 "$gc" 2>/dev/null || break
    sleep 0.01
  done
  grep -q "waiting for other" "$T/gcw.err" || abort "gc did not say it waits: $(cat "$T/gcw.err")"
  # gc cannot have finished: the importer still holds the lock.
  kill -0 "$gc" 2>/dev/null || abort "gc ran while another process held the repository"
  [[ ! -s "$T/gcw.out" ]] || abort "gc reported work while waiting: $(cat "$T/gcw.out")"
  echo "    gc is waiting: $(head -n 1 "$T/gcw.err")"

  cat "$T/held.car" >&3
  exec 3>&-
  local rc_imp=0 rc_gc=0
  wait_bounded "$imp" || rc_imp=$?
  wait_bounded "$gc" || rc_gc=$?
  ((rc_imp == 0)) || fail "import failed ($rc_imp): $(cat "$T/imp.err")"
  ((rc_gc == 0)) || fail "gc failed ($rc_gc): $(cat "$T/gcw.err")"
  [[ "$(cat "$T/imp.out")" == "$held" ]] || fail "import printed $(cat "$T/imp.out")"
  echo "    then: $(cat "$T/gcw.out")"
  # The import pinned its root before letting go, so gc kept every block of it.
  ia "$R" verify >/dev/null || fail "verify after gc"
  ia "$R" verify "$held" >/dev/null || fail "the imported DAG is damaged after gc"
  cmp -s <(ia "$R" cat "$held") "$T/held.bin" || fail "the imported file differs after gc"
}

run_case "add pins its root; pin ls (--json)" case_pin_ls_after_add
run_case "pin add / pin rm / pin ls --json" case_pin_add_rm
run_case "pin add of a DAG that is not here is refused, nothing changes" case_pin_refuses_missing_dag
run_case "alias set / rm / ls --json, cat and stat through aliases" case_alias_set_rm_ls
run_case "invalid alias names are refused, nothing changes" case_alias_invalid_names
run_case "ls --json lists names, types, CIDs and sizes" case_ls_json
run_case "stat --json has every field with the right values" case_stat_json
run_case "gc keeps pinned and aliased DAGs and removes the rest" case_gc_keeps_pinned_and_aliased
run_case "--help works for every subcommand" case_help_everywhere
run_case "two concurrent adds into one repository" case_concurrent_adds
run_case "gc waits for another process holding the repository" case_gc_waits_for_other_users

summary
