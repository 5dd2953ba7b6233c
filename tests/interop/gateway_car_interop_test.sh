#!/usr/bin/env bash
# The trustless gateway of `ipfs-accelerate serve` as curl sees it, with every CAR read back by the
# reference CAR library (@ipld/car, each block checked against its CID): CAR responses with
# dag-scope block/entity/all, entity-bytes ranges and dups, HEAD, the bafkqaaa probe, 304 for a
# matching Etag, and the errors the spec asks for (400, 404, 406, 412).
source "$(dirname "$0")/../cli/cli_lib.sh"

: "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
NPM_DIR="$IA_SOURCE_DIR/.deps/npm"
[[ -d "$NPM_DIR/node_modules/@ipld/car" ]] || { echo "@ipld/car missing: run scripts/setup" >&2; exit 1; }
# ESM imports ignore NODE_PATH: the checker must sit beside node_modules (per-process name).
CHECK_MJS="$NPM_DIR/car_check.$$.mjs"
cp "$IA_SOURCE_DIR/tests/interop/car_check.mjs" "$CHECK_MJS"
trap 'rm -f "$CHECK_MJS"; cleanup' EXIT

A="$T/repo-a"
mkdir -p "$T/model"
make_file "$T/model/weights.bin" $((200 * 1024 + 5)) 3
echo '{"model_type": "test"}' >"$T/model/config.json"
DIR=$(ia "$A" add -Q -r --chunker size-4096 "$T/model")
FILE=$(ia "$A" add -Q --chunker size-4096 "$T/model/weights.bin")
ZEROS="$T/zeros.bin"
head -c $((4096 * 12)) /dev/zero >"$ZEROS"
SAME=$(ia "$A" add -Q --chunker size-4096 "$ZEROS")
ABSENT=$(echo "not on this gateway" | ia "$T/repo-other" add -Q)

serve_bg "$A"

# car NAME URL [curl args]: fetches a CAR into $T/NAME.car (headers in $T/NAME.h) and reads it
# with the reference library into $T/NAME.json.
car() {
  local name=$1 url=$2
  shift 2
  curl -s -D "$T/$name.h" -o "$T/$name.car" "$@" "$url"
  grep -q "^HTTP/1.1 200" "$T/$name.h" || fail "$url: $(head -n 1 "$T/$name.h") $(head -c 300 "$T/$name.car")"
  node "$CHECK_MJS" "$T/$name.car" >"$T/$name.json" || fail "@ipld/car refused the CAR of $url"
}
count() { python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['blocks']))" "$T/$1.json"; }
first() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['blocks'][0])" "$T/$1.json"; }
roots() { python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['roots']))" "$T/$1.json"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

case_dag_scope_all_is_the_car_export() {
  car all "$BASE/ipfs/$DIR?format=car"
  [[ $(roots all) == "$DIR" ]] || fail "roots: $(roots all)"
  grep -qi "^content-type: application/vnd.ipld.car; version=1; order=dfs; dups=n" "$T/all.h" ||
    fail "Content-Type: $(grep -i content-type "$T/all.h")"
  grep -qi "^content-disposition: attachment; filename=\"$DIR.car\"" "$T/all.h" || fail "Content-Disposition"
  grep -qi "^etag: \"$DIR.car.all.dfs.n\"" "$T/all.h" || fail "Etag: $(grep -i etag "$T/all.h")"
  grep -qi "^transfer-encoding: chunked" "$T/all.h" || fail "a CAR should stream (chunked)"
  ia "$A" car export "$DIR" -o "$T/export.car" >/dev/null
  cmp "$T/all.car" "$T/export.car" || fail "the gateway's CAR differs from car export's"
  ia "$T/repo-b" car import "$T/all.car" >/dev/null
  ia "$T/repo-b" cat "$DIR/weights.bin" | cmp - "$T/model/weights.bin" || fail "content differs"
  # The same through Accept alone.
  car accept "$BASE/ipfs/$DIR" -H "Accept: application/vnd.ipld.car"
  cmp "$T/all.car" "$T/accept.car" || fail "Accept: application/vnd.ipld.car gave another CAR"
}

case_dag_scope_block_and_entity() {
  car block "$BASE/ipfs/$DIR?format=car&dag-scope=block"
  [[ $(count block) == 1 && $(first block) == "$DIR" ]] || fail "block scope: $(cat "$T/block.json")"
  car dir_entity "$BASE/ipfs/$DIR?format=car&dag-scope=entity"
  [[ $(count dir_entity) == 1 ]] || fail "a directory's entity is its block: $(count dir_entity) blocks"
  car file_entity "$BASE/ipfs/$FILE?format=car&dag-scope=entity"
  car file_all "$BASE/ipfs/$FILE?format=car"
  cmp "$T/file_entity.car" "$T/file_all.car" || fail "a file's entity is the whole file"
  (($(count file_all) > 50)) || fail "expected a file of many blocks: $(count file_all)"
  grep -qi "^etag: \"$FILE.car.entity.dfs.n\"" "$T/file_entity.h" || fail "Etag names the scope"
}

case_entity_bytes_sends_the_blocks_of_the_range() {
  car range "$BASE/ipfs/$FILE?format=car&entity-bytes=4096:12287"
  # The root, the inner node(s) above the range and the two 4 KiB leaves it spans.
  local n
  n=$(count range)
  ((n >= 3 && n <= 6)) || fail "entity-bytes=4096:12287 sent $n blocks"
  grep -qi "^etag: \"$FILE.car.entity.4096:12287.dfs.n\"" "$T/range.h" || fail "Etag names the range"
  car tail "$BASE/ipfs/$FILE?format=car&entity-bytes=-10:*"
  n=$(count tail)
  ((n >= 2 && n <= 4)) || fail "entity-bytes=-10:* sent $n blocks"
  [[ $(code "$BASE/ipfs/$FILE?format=car&entity-bytes=999999999:*") == 400 ]] || fail "a range past the end is 400"
  [[ $(code "$BASE/ipfs/$FILE?format=car&entity-bytes=abc") == 400 ]] || fail "a malformed range is 400"
}

case_a_path_below_the_cid() {
  # The directory's block first (to verify the path), then the file's DAG; the header names $DIR.
  car path "$BASE/ipfs/$DIR/weights.bin?format=car"
  [[ $(roots path) == "$DIR" && $(first path) == "$DIR" ]] || fail "path CAR: $(head -c 300 "$T/path.json")"
  car file_all "$BASE/ipfs/$FILE?format=car"
  (($(count path) == $(count file_all) + 1)) || fail "the path's CAR has $(count path) blocks, the file $(count file_all)"
  # After the directory, exactly the file's CAR, block for block (a CAR of part of a DAG: `car
  # import` refuses it, as it should, since the directory's other entries are not in it).
  python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['blocks']; f=json.load(open(sys.argv[2]))['blocks']; assert p[1:] == f, (p[:3], f[:2])" \
    "$T/path.json" "$T/file_all.json" || fail "after the directory's block, the path's CAR is not the file's"
  grep -qi "^etag: \"$DIR/weights.bin.car.all.dfs.n\"" "$T/path.h" || fail "Etag: $(grep -i etag "$T/path.h")"
  car path_block "$BASE/ipfs/$DIR/weights.bin?format=car&dag-scope=block"
  [[ $(count path_block) == 2 ]] || fail "dag-scope=block of a path: the directory and the file's root"
  [[ $(code "$BASE/ipfs/$DIR/absent.bin?format=car") == 404 ]] || fail "a missing name is 404"
  [[ $(code "$BASE/ipfs/$FILE/x?format=car") == 404 ]] || fail "a name below a file is 404"
  [[ $(code "$BASE/ipfs/$DIR/weights.bin?format=raw") == 400 ]] || fail "a raw request with a path is 400"
}

case_dups() {
  car once "$BASE/ipfs/$SAME?format=car"
  car every "$BASE/ipfs/$SAME?format=car&car-dups=y"
  [[ $(count once) == 2 ]] || fail "dups=n: the file node and its one distinct leaf, got $(count once)"
  [[ $(count every) == 13 ]] || fail "dups=y: the file node and its 12 leaves, got $(count every)"
  grep -qi "^content-type: .*dups=y" "$T/every.h" || fail "dups=y not in Content-Type"
  car accept_dups "$BASE/ipfs/$SAME" -H "Accept: application/vnd.ipld.car; version=1; order=dfs; dups=y"
  cmp "$T/every.car" "$T/accept_dups.car" || fail "dups=y in Accept"
}

case_head_probe_and_conditional() {
  curl -s -I "$BASE/ipfs/$FILE?format=raw" >"$T/head.h"
  grep -q "^HTTP/1.1 200" "$T/head.h" || fail "HEAD raw: $(head -n 1 "$T/head.h")"
  local size
  size=$(curl -s "$BASE/ipfs/$FILE?format=raw" | wc -c)
  grep -qi "^content-length: $size" "$T/head.h" || fail "HEAD Content-Length is not the block's $size"
  curl -s -I "$BASE/ipfs/$DIR?format=car" >"$T/headcar.h"
  grep -q "^HTTP/1.1 200" "$T/headcar.h" || fail "HEAD CAR: $(head -n 1 "$T/headcar.h")"
  [[ $(code -I "$BASE/ipfs/$ABSENT?format=raw") == 404 ]] || fail "HEAD of an absent CID is 404"
  # The probe: the identity CID of no bytes.
  [[ $(code "$BASE/ipfs/bafkqaaa?format=raw") == 200 ]] || fail "probe raw"
  [[ $(curl -s "$BASE/ipfs/bafkqaaa?format=raw" | wc -c) == 0 ]] || fail "probe body not empty"
  [[ $(code -I "$BASE/ipfs/bafkqaaa?format=raw") == 200 ]] || fail "HEAD probe"
  car probe "$BASE/ipfs/bafkqaaa?format=car"
  [[ $(roots probe) == bafkqaaa && $(count probe) == 0 ]] || fail "probe CAR: $(cat "$T/probe.json")"
  # A client that has it: 304.
  [[ $(code -H "If-None-Match: \"$FILE.raw\"" "$BASE/ipfs/$FILE?format=raw") == 304 ]] || fail "If-None-Match"
}

case_errors_as_the_spec_says() {
  [[ $(code -H "Accept:" "$BASE/ipfs/$FILE") == 400 ]] || fail "no Accept and no format: 400"
  [[ $(code -H "Accept: text/html" "$BASE/ipfs/$FILE") == 406 ]] || fail "an Accept we do not serve: 406"
  [[ $(code "$BASE/ipfs/$FILE?format=json") == 400 ]] || fail "format=json: 400"
  [[ $(code "$BASE/ipfs/$FILE?format=car&car-version=2") == 400 ]] || fail "car-version=2: 400"
  [[ $(code "$BASE/ipfs/$FILE?format=car&dag-scope=everything") == 400 ]] || fail "bad dag-scope: 400"
  [[ $(code "$BASE/ipfs/$FILE?format=car&car-order=weird") == 400 ]] || fail "bad car-order: 400"
  [[ $(code "$BASE/ipfs/$DIR/weights.bin?format=raw") == 400 ]] || fail "raw with a path: 400"
  [[ $(code "$BASE/ipfs/not-a-cid?format=car") == 400 ]] || fail "bad CID: 400"
  [[ $(code "$BASE/ipfs/$ABSENT?format=car") == 404 ]] || fail "absent root: 404"
  [[ $(code -H "Cache-Control: only-if-cached" "$BASE/ipfs/$ABSENT?format=raw") == 412 ]] || fail "only-if-cached: 412"
  [[ $(code -X POST "$BASE/ipfs/$FILE?format=raw") == 405 ]] || fail "POST: 405"
  curl -s "$BASE/ipfs/$FILE?format=car&dag-scope=everything" >"$T/err.json"
  assert_contains "$T/err.json" "dag-scope"
}

run_case "dag-scope=all is the DAG's CAR, the same bytes as car export" case_dag_scope_all_is_the_car_export
run_case "dag-scope=block and entity" case_dag_scope_block_and_entity
run_case "entity-bytes sends the blocks of the range" case_entity_bytes_sends_the_blocks_of_the_range
run_case "a path below the CID: the directories' blocks, then the DAG" case_a_path_below_the_cid
run_case "car-dups=y sends a repeated block each time" case_dups
run_case "HEAD, the bafkqaaa probe and If-None-Match" case_head_probe_and_conditional
run_case "bad requests get the spec's status codes" case_errors_as_the_spec_says
summary
