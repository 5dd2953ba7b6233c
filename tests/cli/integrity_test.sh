#!/usr/bin/env bash
# Damaged data and bad input through the real binary: a corrupt block is found by `verify`, never
# reaches stdout or disk through `cat`/`get`; bad CARs, bad CIDs and bad flags get clear errors and
# leave the repository exactly as it was.
#
#   IA_BIN=build/ipfs-accelerate bash tests/cli/integrity_test.sh
# shellcheck source=tests/cli/cli_lib.sh
source "$(dirname "$0")/cli_lib.sh"

CHUNK=1048576  # the default profile's chunk size
R="$T/repo"
F="$T/model.bin"
make_file "$F" $((5 * CHUNK + 123)) 1  # six leaves under one root
ROOT="$(ia "$R" add -Q "$F")"
echo "added $F as $ROOT"
# The third leaf (bytes [2 MiB, 3 MiB)) is the one we damage.
read -r LEAF_CID LEAF_NAME < <(leaf_info "$F" $((2 * CHUNK)) "$CHUNK")
LEAF_PATH="$(find "$R/blocks" -name "$LEAF_NAME")"
[[ -f "$LEAF_PATH" ]] || { echo "leaf block file $LEAF_NAME not found under $R/blocks" >&2; exit 1; }
echo "damaging leaf $LEAF_CID ($LEAF_PATH)"

case_verify_clean_first() {
  ia "$R" verify >"$T/v0.out"
  assert_contains "$T/v0.out" "all intact"
}

case_flip_one_byte() {
  chmod u+w "$LEAF_PATH"
  python3 - "$LEAF_PATH" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1000)
    b = f.read(1)
    f.seek(1000)
    f.write(bytes([b[0] ^ 0x01]))
EOF
  cmp -s "$LEAF_PATH" <(tail -c +$((2 * CHUNK + 1)) "$F" | head -c "$CHUNK") && fail "the byte was not flipped"
  true
}

case_verify_names_the_block() {
  run_capture verify ia "$R" verify
  ((RC != 0)) || fail "verify exited 0 on a corrupt repository"
  assert_contains "$T/verify.out" "$LEAF_CID" "verify output"
  assert_contains "$T/verify.out" "corrupt" "verify output"
  echo "    $(grep -F "$LEAF_CID" "$T/verify.out")"
}

case_verify_json_lists_the_problem() {
  run_capture vjson ia "$R" verify --json
  ((RC != 0)) || fail "verify --json exited 0 on a corrupt repository"
  python3 - "$T/vjson.out" "$LEAF_CID" "$LEAF_PATH" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is False, j
probs = [p for p in j["problems"] if p["cid"] == sys.argv[2]]
assert len(probs) == 1, j["problems"]
assert probs[0]["problem"] == "corrupt", probs
assert probs[0]["path"] == sys.argv[3], probs
assert len(j["problems"]) == 1, j["problems"]
assert j["blocks_checked"] == 7, j
EOF
}

case_verify_dag_names_the_block() {
  run_capture vdag ia "$R" verify "$ROOT"
  ((RC != 0)) || fail "verify ROOT exited 0"
  assert_contains "$T/vdag.out" "$LEAF_CID" "verify ROOT output"
}

case_cat_stops_before_the_bad_block() {
  run_capture cat ia "$R" cat "$ROOT"
  ((RC != 0)) || fail "cat exited 0 although a block is corrupt"
  [[ -s "$T/cat.err" ]] || fail "cat printed no error"
  assert_contains "$T/cat.err" "$LEAF_CID" "cat's error"
  grep -qi "corrupt" "$T/cat.err" || fail "cat's error does not say corrupt: $(cat "$T/cat.err")"
  local n
  n=$(stat -c %s "$T/cat.out")
  echo "    cat wrote $n bytes before failing: $(head -c 300 "$T/cat.err")"
  ((n <= 2 * CHUNK)) || fail "cat wrote $n bytes: bytes of (or after) the corrupt leaf at offset $((2 * CHUNK)) got out"
  cmp -s -n "$n" "$T/cat.out" "$F" || fail "cat's output is not a prefix of the original file"
}

case_get_leaves_nothing() {
  run_capture get ia "$R" get "$ROOT" -o "$T/out.bin"
  ((RC != 0)) || fail "get exited 0 although a block is corrupt"
  assert_contains "$T/get.err" "$LEAF_CID" "get's error"
  [[ ! -e "$T/out.bin" ]] || fail "get left $T/out.bin behind"
  compgen -G "$T/out.bin*" >/dev/null && fail "get left a partial file: $(ls "$T"/out.bin*)"
  true
}

case_other_dags_still_readable() {
  printf 'unrelated and intact' >"$T/small.txt"
  local cid
  cid="$(ia "$R" add -Q "$T/small.txt")"
  [[ "$(ia "$R" cat "$cid")" == "unrelated and intact" ]] || fail "cat of an intact DAG failed"
}

run_case "verify is clean before damage" case_verify_clean_first
run_case "flip one byte of leaf 2 on disk" case_flip_one_byte
run_case "verify exits non-zero and names the corrupt block" case_verify_names_the_block
run_case "verify --json lists exactly that problem" case_verify_json_lists_the_problem
run_case "verify ROOT names the corrupt block" case_verify_dag_names_the_block
run_case "cat fails and emits only a prefix ending before the bad block" case_cat_stops_before_the_bad_block
run_case "get -o OUT fails and leaves no OUT" case_get_leaves_nothing
run_case "other DAGs stay readable" case_other_dags_still_readable

# ---- Bad CARs, bad CIDs and bad flags against a healthy repository: it must not change.
RB="$T/repo-b"
printf 'already here' >"$T/existing.txt"
EXISTING="$(ia "$RB" add -Q --alias keep "$T/existing.txt")"
# The CAR's content comes from a scratch repository, so none of it is in RB yet.
make_file "$T/other.bin" $((3 * CHUNK + 7)) 2
OTHER="$(ia "$T/scratch" add -Q --chunker size-262144 "$T/other.bin")"
ia "$T/scratch" car export "$OTHER" -o "$T/good.car"
GOOD_SIZE=$(stat -c %s "$T/good.car")
STATE_B="$(repo_state "$RB")"

unchanged() {
  [[ "$(repo_state "$RB")" == "$STATE_B" ]] || {
    diff <(echo "$STATE_B") <(repo_state "$RB") | head -20 >&2
    fail "the repository changed"
  }
  ia "$RB" verify >/dev/null || fail "verify is not clean afterwards"
  [[ "$(ia "$RB" cat keep)" == "already here" ]] || fail "the existing content is no longer readable"
  ia "$RB" pin ls | grep -qF "$EXISTING" || fail "the existing pin is gone"
}

# make_car OUT KIND: hand-made CARs. KIND: bad-dagpb (a link's Name before its Hash; the block
# hashes correctly, only its encoding is wrong) or missing-root (the root's block is absent).
make_car() {
  python3 - "$1" "$2" <<'EOF'
import hashlib, sys
out, kind = sys.argv[1], sys.argv[2]
def varint(n):
    b = bytearray()
    while n >= 0x80:
        b.append((n & 0x7f) | 0x80); n >>= 7
    b.append(n)
    return bytes(b)
def cid(codec, data):  # CIDv1, sha2-256
    return bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
def header(roots):
    cbor = b"\xa2\x65roots" + bytes([0x80 + len(roots)])
    for r in roots:
        cbor += b"\xd8\x2a\x58" + bytes([len(r) + 1]) + b"\x00" + r
    cbor += b"\x67version\x01"
    return varint(len(cbor)) + cbor
def section(c, data):
    return varint(len(c) + len(data)) + c + data
def field(num, payload):  # protobuf length-delimited field
    return bytes([(num << 3) | 2]) + varint(len(payload)) + payload
leaf = b"a leaf from a hand-made CAR"
leaf_cid = cid(0x55, leaf)
if kind == "bad-dagpb":
    link = field(2, b"a") + field(1, leaf_cid)          # Name, then Hash: out of order
    node = field(2, link) + field(1, b"\x08\x01")       # Links, Data = UnixFS directory
    root = cid(0x70, node)
    car = header([root]) + section(root, node) + section(leaf_cid, leaf)
elif kind == "missing-root":
    root = cid(0x55, b"a block that is nowhere")
    car = header([root]) + section(leaf_cid, leaf)
else:
    raise SystemExit("unknown kind " + kind)
open(out, "wb").write(car)
EOF
}

case_good_car_imports_elsewhere() {
  # The untouched CAR is fine: the failures below come from the damage alone.
  local got
  got="$(ia "$T/repo-c" car import "$T/good.car")"
  [[ "$got" == "$OTHER" ]] || fail "import printed '$got', expected $OTHER"
  ia "$T/repo-c" verify "$OTHER" >/dev/null
  cmp -s <(ia "$T/repo-c" cat "$OTHER") "$T/other.bin" || fail "imported content differs"
}

case_truncated_car() {
  head -c $((GOOD_SIZE - 1000)) "$T/good.car" >"$T/truncated.car"
  expect_error car_trunc "truncated" ia "$RB" car import "$T/truncated.car"
  unchanged
}

case_tampered_car() {
  cp "$T/good.car" "$T/tampered.car"
  python3 - "$T/tampered.car" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-100, 2)
    b = f.read(1)
    f.seek(-100, 2)
    f.write(bytes([b[0] ^ 0x80]))
EOF
  expect_error car_tamper "does not match its hash" ia "$RB" car import "$T/tampered.car"
  unchanged
}

case_missing_root_car() {
  make_car "$T/missing-root.car" missing-root
  expect_error car_noroot "neither in the CAR nor in the repository" ia "$RB" car import "$T/missing-root.car"
  unchanged
}

case_dagpb_out_of_order_car() {
  make_car "$T/bad-dagpb.car" bad-dagpb
  expect_error car_dagpb "out of order" ia "$RB" car import "$T/bad-dagpb.car"
  unchanged
}

case_carv2() {
  { printf '\x0a\xa1\x67version\x02'; head -c 40 /dev/zero; cat "$T/good.car"; } >"$T/v2.car"
  expect_error car_v2 "CARv2" ia "$RB" car import "$T/v2.car"
  unchanged
}

case_not_a_car() {
  expect_error car_text "CAR|truncated" ia "$RB" car import "$T/existing.txt"
  expect_error car_missing "$T/no-such.car" ia "$RB" car import "$T/no-such.car"
  unchanged
}

case_invalid_cid_strings() {
  local bad='bafy!notacid'
  expect_error cid_cat "invalid CID.*'!'" ia "$RB" cat "$bad"
  expect_error cid_pin "invalid CID" ia "$RB" pin add "$bad"
  expect_error cid_get "invalid CID" ia "$RB" get "$bad" -o "$T/get-out"
  [[ ! -e "$T/get-out" ]] || fail "get created its output"
  expect_error cid_export "invalid CID" ia "$RB" car export "$bad" -o "$T/export.car"
  [[ ! -e "$T/export.car" ]] || fail "car export created its output"
  expect_error cid_verify "invalid CID" ia "$RB" verify "$bad"
  expect_error cid_alias "invalid CID" ia "$RB" alias set newname "$bad"
  # A CIDv0 with a typo ('0' is not base58) reads as an unknown name: the error must still name it.
  local typo="Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLy0D"
  expect_error cid_typo "$typo" ia "$RB" cat "$typo"
  unchanged
}

case_bad_add_flags() {
  expect_error profile 'unknown import profile "nope"' ia "$RB" add --profile nope "$T/existing.txt"
  expect_error chunker 'chunker "size-0"' ia "$RB" add --chunker size-0 "$T/existing.txt"
  expect_error chunker_big 'chunker "size-1048577"' ia "$RB" add --chunker size-1048577 "$T/existing.txt"
  expect_error cidver 'cid-version must be 0 or 1' ia "$RB" add --cid-version 2 "$T/existing.txt"
  expect_error missing "no such file.*$T/missing.txt" ia "$RB" add "$T/missing.txt"
  mkdir -p "$T/a-dir"
  printf 'x' >"$T/a-dir/f"
  expect_error dir "$T/a-dir is a directory; add it with -r" ia "$RB" add "$T/a-dir"
  unchanged
}

run_case "the undamaged CAR imports into another repository" case_good_car_imports_elsewhere
run_case "truncated CAR is rejected, repository unchanged" case_truncated_car
run_case "CAR with one tampered block byte is rejected, repository unchanged" case_tampered_car
run_case "CAR without its root block is rejected, repository unchanged" case_missing_root_car
run_case "CAR with dag-pb link fields out of order is rejected, repository unchanged" case_dagpb_out_of_order_car
run_case "CARv2 is refused with a clear message, repository unchanged" case_carv2
run_case "a file that is not a CAR, and a missing CAR file" case_not_a_car
run_case "invalid CID strings get clear errors, repository unchanged" case_invalid_cid_strings
run_case "bad add flags and paths get clear errors, repository unchanged" case_bad_add_flags

summary
