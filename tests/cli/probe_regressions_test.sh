#!/usr/bin/env bash
# Regressions from the probe of issue 9, store side, through the real binary: a DAG that holds the
# same bytes as raw and as dag-pb survives gc; dag-cbor CARs; `get` of a DAG that declares more
# than the disk holds, Ctrl-C during `get`, stale partial outputs; a model whose declared size is
# over the limit; local paths against store references; terminal escapes in names; Kubo habits of
# add/cat/ls/car export.
#
#   IA_BIN=build/ipfs-accelerate bash tests/cli/probe_regressions_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

# Blocks and CARs made by tools/fuzz/dag.py (python standard library only).
dag() { python3 "$IA_SOURCE_DIR/tools/fuzz/dag.py" "$@"; }

# A pid that surely belongs to no process: one that has just exited.
dead_pid() {
  sleep 0 &
  local pid=$!
  wait "$pid"
  echo "$pid"
}

case_gc_keeps_dag_below_a_directory_whose_bytes_are_also_a_file() {
  local R="$T/r1" tree="$T/tree1"
  mkdir -p "$tree/sub"
  printf 'a file below the subdirectory' >"$tree/sub/f"
  local sub name
  sub="$(ia "$T/scratch1" add -r -Q "$tree/sub")"
  name="$(dag block-file "$sub")"
  cp "$(find "$T/scratch1/blocks" -name "$name")" "$tree/copy"  # the directory's bytes, as a file
  local root
  root="$(ia "$R" add -r -Q "$tree")"
  ia "$R" gc >"$T/gc1.out"
  assert_contains "$T/gc1.out" "removed 0 blocks"
  ia "$R" verify "$root" >/dev/null
  [[ "$(ia "$R" cat "$root/sub/f")" == "a file below the subdirectory" ]] || fail "sub/f unreadable after gc"
  ia "$R" car export "$root" -o "$T/t1.car"
  ia "$T/r1b" car import "$T/t1.car" >/dev/null
  [[ "$(ia "$T/r1b" cat "$root/sub/f")" == "a file below the subdirectory" ]] || fail "exported CAR incomplete"
}

case_dag_cbor_car_imports_pins_gcs_and_exports() {
  local R="$T/r2" root
  root="$(dag cbor "$T/cbor.car")"
  [[ "$(ia "$R" car import "$T/cbor.car")" == "$root" ]] || fail "car import did not print the root"
  ia "$R" pin add "$root" >/dev/null
  ia "$R" gc >"$T/gc2.out"
  assert_contains "$T/gc2.out" "kept 3 blocks"
  ia "$R" verify "$root" >"$T/verify2.out"
  assert_contains "$T/verify2.out" "verified 3 blocks: all intact"
  ia "$R" car export "$root" -o "$T/cbor-out.car"
  cmp "$T/cbor.car" "$T/cbor-out.car" || fail "re-exported CAR differs"
}

case_get_refuses_a_dag_larger_than_the_free_space() {
  local R="$T/r3" root
  root="$(dag shared-file $((1024 * 1024)) "$T/tib.car")"  # declares 1 TiB in a ~1 MiB CAR
  ia "$R" car import "$T/tib.car" >/dev/null
  expect_error get_tib "declares 1099511627776 bytes .* free" ia "$R" get "$root" -o "$T/out3"
  [[ -z "$(ls "$T" | grep 'out3')" ]] || fail "get left something behind: $(ls "$T")"
  # A model that declares more than protobuf can read is refused before it is read.
  local small
  small="$(dag shared-file 3072 "$T/3g.car")"
  ia "$R" car import "$T/3g.car" >/dev/null
  expect_error run_3g "up to 2 GiB" ia "$R" run "/ipfs/$small"
}

case_interrupted_get_leaves_no_partial_output() {
  local R="$T/r4" root sig
  root="$(dag shared-file 2048 "$T/2g.car")"
  ia "$R" car import "$T/2g.car" >/dev/null
  for sig in INT TERM; do
    rm -rf "$T/get4"
    mkdir "$T/get4"
    # The binary itself, not the `ia` function: a signal must reach the process that writes.
    "$IA_BIN" --repo "$R" get "$root" -o "$T/get4/out" 2>"$T/get4.err" &
    local pid=$! waited=0
    until compgen -G "$T/get4/out.ia-partial-*" >/dev/null; do
      sleep 0.05
      waited=$((waited + 1))
      ((waited < 400)) || fail "no partial file appeared"
    done
    kill -"$sig" "$pid"
    local rc=0
    wait "$pid" || rc=$?
    [[ -z "$(ls "$T/get4")" ]] || fail "SIG$sig left $(ls "$T/get4")"
    local want=130
    [[ "$sig" == TERM ]] && want=143
    ((rc == want)) || fail "exit status $rc after SIG$sig, expected $want: $(cat "$T/get4.err")"
    assert_contains "$T/get4.err" "interrupted"
  done
}

case_next_get_removes_stale_partials() {
  local R="$T/r5" cid pid
  printf 'stale partials' >"$T/five.txt"
  cid="$(ia "$R" add -Q "$T/five.txt")"
  mkdir -p "$T/get5"
  pid="$(dead_pid)"
  mkdir "$T/get5/out.ia-partial-$pid"
  printf x >"$T/get5/out.ia-partial-$pid/half"
  sleep 1000 &
  local live=$!
  printf x >"$T/get5/out.ia-partial-$live"  # a live process's partial stays
  ia "$R" get "$cid" -o "$T/get5/out" 2>/dev/null
  kill "$live"
  [[ ! -e "$T/get5/out.ia-partial-$pid" ]] || fail "stale partial of pid $pid is still there"
  [[ -e "$T/get5/out.ia-partial-$live" ]] || fail "a live process's partial was removed"
  [[ "$(cat "$T/get5/out")" == "stale partials" ]] || fail "get wrote the wrong bytes"
}

case_verify_reports_temp_files_of_stopped_imports_and_gc_removes_them() {
  local R="$T/r6" pid
  printf 'six' >"$T/six.txt"
  ia "$R" add -Q "$T/six.txt" >/dev/null
  pid="$(dead_pid)"
  printf 'half a block' >"$R/blocks/.tmp/$pid-0123456789abcdef-0"
  ia "$R" verify >"$T/verify6.out"
  assert_contains "$T/verify6.out" "1 stale temporary file left by stopped imports"
  assert_contains "$T/verify6.out" "all intact"
  ia "$R" verify --json >"$T/verify6.json"
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if len(j['stale_temp_files'])==1 else 1)" \
    "$T/verify6.json" || fail "verify --json lacks the stale file"
  ia "$R" gc >"$T/gc6.out"
  assert_contains "$T/gc6.out" "1 stale temporary file"
  [[ -z "$(ls "$R/blocks/.tmp")" ]] || fail "gc left temporary files"
}

case_local_paths_and_store_references_cannot_collide() {
  local R="$T/r7" cid
  mkdir -p "$T/cwd7/ppocr-v4"
  printf 'not a model' >"$T/cwd7/ppocr-v4/model.onnx"
  printf 'x' >"$T/seven.txt"
  cid="$(ia "$R" add -Q "$T/seven.txt")"
  ia "$R" alias set ppocr-v4 "$cid" >/dev/null
  cd "$T/cwd7"
  expect_error ambiguous "both a local file and a CID or alias.*\./ppocr-v4.*/ipfs/ppocr-v4" \
    ia "$R" run ppocr-v4
  # The explicit spellings choose one.
  expect_error local "cwd7/ppocr-v4/model.onnx|\./ppocr-v4" ia "$R" run ./ppocr-v4
  # The OCR default comes from the store, never from ./ppocr-v4.
  expect_error ocr_default "ppocr-v4" ia "$T/empty7" ocr "$IA_SOURCE_DIR/assets/ocr/text_line.png"
  if grep -q "not a model\|cwd7" "$T/ocr_default.err"; then fail "ocr read ./ppocr-v4: $(cat "$T/ocr_default.err")"; fi
}

case_names_with_control_characters_are_escaped() {
  local R="$T/r8"
  mkdir -p "$T/tree8"
  printf 'x' >"$T/tree8/$(printf 'clear\033[2Jscreen')"
  printf 'y' >"$T/tree8/$(printf 'two\nlines')"
  local root
  root="$(ia "$R" add -r -Q "$T/tree8")"
  ia "$R" ls "$root" >"$T/ls8.out"
  ia "$R" add -r "$T/tree8" >"$T/add8.out"
  for f in "$T/ls8.out" "$T/add8.out"; do
    if grep -q $'\033' "$f"; then fail "raw ESC in $f"; fi
    assert_contains "$f" 'clear\x1b[2Jscreen'
    assert_contains "$f" 'two\nlines'
  done
  ia "$R" ls --json "$root" >"$T/ls8.json"
  python3 -c "import json,sys; n=[e['name'] for e in json.load(open(sys.argv[1]))]; sys.exit(0 if 'two\nlines' in n else 1)" \
    "$T/ls8.json" || fail "--json must keep names exact"
}

case_add_reads_stdin_and_prints_every_entry() {
  local R="$T/r9" want
  printf 'hi\n' >"$T/hi.txt"
  want="$(ia "$R" add -n -Q "$T/hi.txt")"
  [[ "$(printf 'hi\n' | ia "$R" add)" == "added $want $want" ]] || fail "echo hi | add"
  [[ "$(printf 'hi\n' | ia "$R" add - -Q)" == "$want" ]] || fail "add -"
  [[ "$(printf 'hi\n' | ia "$R" add --stdin-name hi.txt)" == "added $want hi.txt" ]] || fail "--stdin-name"
  expect_error pin_false "write --pin=false" ia "$R" add --pin false "$T/hi.txt"
  mkdir -p "$T/tree9/d"
  printf 'one' >"$T/tree9/a"
  printf 'two' >"$T/tree9/d/b"
  ia "$R" add -r "$T/tree9" >"$T/add9.out"
  [[ "$(cut -d' ' -f3 "$T/add9.out" | tr '\n' ' ')" == "tree9/a tree9/d/b tree9/d tree9 " ]] ||
    fail "add -r should print every entry, children first: $(cat "$T/add9.out")"
  [[ "$(ia "$R" add -r -q "$T/tree9" | wc -l)" == 4 ]] || fail "add -q prints one CID per entry"
  # Kubo: --cid-version 0 gives Qm… CIDs, also for a one-block file.
  [[ "$(ia "$R" add -n -Q --cid-version 0 "$T/hi.txt")" == Qm* ]] || fail "--cid-version 0 is not Qm…"
}

case_add_follows_symlinks_when_asked() {
  local R="$T/r10"
  mkdir -p "$T/hf/blobs" "$T/hf/snapshot"
  printf '{"model": 1}' >"$T/hf/blobs/abc"
  ln -s ../blobs/abc "$T/hf/snapshot/config.json"
  expect_error symlink "dereference-symlinks" ia "$R" add -r "$T/hf/snapshot"
  mkdir -p "$T/copy10/snapshot"
  cp "$T/hf/blobs/abc" "$T/copy10/snapshot/config.json"
  [[ "$(ia "$R" add -r -Q -L "$T/hf/snapshot")" == "$(ia "$R" add -r -n -Q "$T/copy10/snapshot")" ]] ||
    fail "-L should give the CID of the copied tree"
}

case_cat_ls_and_car_export_behave_like_kubo() {
  local R="$T/r11" a b
  printf '0123456789' >"$T/a11"
  printf 'abcdefghij' >"$T/b11"
  a="$(ia "$R" add -Q "$T/a11")"
  b="$(ia "$R" add -Q "$T/b11")"
  [[ "$(ia "$R" cat "$a" "$b")" == "0123456789abcdefghij" ]] || fail "cat of two files"
  [[ "$(ia "$R" cat "$a" "$b" --offset 8 --length 4)" == "89ab" ]] || fail "--offset/--length"
  [[ "$(ia "$R" cat "$a" --offset 20)" == "" ]] || fail "offset past the end"
  ia "$R" ls "$a" >"$T/ls11.out"
  assert_contains "$T/ls11.out" "$a 10 $a"
  printf 'exists' >"$T/exists.car"
  expect_error export_exists "already exists" ia "$R" car export "$a" -o "$T/exists.car"
  [[ "$(cat "$T/exists.car")" == "exists" ]] || fail "car export overwrote a file"
}

run_case "gc keeps the DAG below a directory whose bytes are also a file" \
  case_gc_keeps_dag_below_a_directory_whose_bytes_are_also_a_file
run_case "dag-cbor CARs import, pin, survive gc and export" case_dag_cbor_car_imports_pins_gcs_and_exports
run_case "get refuses a DAG larger than the free space; run refuses a model over 2 GiB" \
  case_get_refuses_a_dag_larger_than_the_free_space
run_case "SIGINT/SIGTERM during get leave no partial output" case_interrupted_get_leaves_no_partial_output
run_case "the next get removes stale partial outputs" case_next_get_removes_stale_partials
run_case "verify reports temporary files of stopped imports; gc removes them" \
  case_verify_reports_temp_files_of_stopped_imports_and_gc_removes_them
run_case "local paths and store references cannot collide" case_local_paths_and_store_references_cannot_collide
run_case "names with control characters are escaped" case_names_with_control_characters_are_escaped
run_case "add reads stdin and prints every entry" case_add_reads_stdin_and_prints_every_entry
run_case "add follows symlinks with -L" case_add_follows_symlinks_when_asked
run_case "cat, ls and car export behave like Kubo's" case_cat_ls_and_car_export_behave_like_kubo
summary
