#!/usr/bin/env bash
# CAR files travel both ways between `ipfs-accelerate car` and the reference CLI ipfs-car:
# what we export, ipfs-car unpacks to the same bytes; what ipfs-car packs, we import under the
# root it reported and give back the same bytes; and our `add` agrees with ipfs-car's root.
# Option strings, profile names and file names here are plain words, meant to split.
# shellcheck disable=SC2086
set -euo pipefail
# shellcheck source=tests/interop/interop_lib.sh
source "$(dirname "$0")/interop_lib.sh"

# same_bytes A B: "same" when the files or trees are identical, else what differs.
same_bytes() {
  if [ -d "$1" ]; then
    diff -r "$1" "$2" 2>&1 | head -5 || true
    diff -r "$1" "$2" >/dev/null 2>&1 && echo same
  else
    cmp "$1" "$2" 2>&1 || true
    cmp -s "$1" "$2" && echo same
  fi
}

cd "$T"
gen few $((3 * 1048576 + 500000)) >few-mib  # 4 chunks in v1, 14 in v0
: >empty
gen levels $((1025 * 1024)) >v1-1025         # with --chunker size-1024: a two-level tree
make_tree tree                               # empty dir, hidden and non-ASCII names
cp -r tree tree-noempty                      # ipfs-car drops empty directories
rmdir tree-noempty/emptydir

echo "== (a) car export, then ipfs-car unpack"
n=0
for p in "$V0:few-mib:" "$V1:few-mib:" "$V1:v1-1025:--chunker size-1024" "$V1:empty:" "$V0:tree:-r -H" "$V1:tree:-r -H"; do
  IFS=: read -r prof f extra <<<"$p"
  n=$((n + 1))
  what="$prof $f${extra:+ $extra}"
  cid="$(ours add -Q --profile "$prof" $extra $f)"
  check "$what: car export" "" "$(ours car export "$cid" -o "a$n.car")"
  check "$what: ipfs-car roots" "$cid" "$(ipfs_car roots "a$n.car")"
  ipfs_car unpack "a$n.car" --output "a$n.out" >/dev/null
  check "$what: ipfs-car unpack gives identical bytes" same "$(same_bytes $f "a$n.out")"
done
cid="$(ours add -Q --profile $V1 -r -H tree)"
sub="$(ours add -n -Q --profile $V1 -r tree/日本語)"
ours car export "$cid/日本語" -o sub.car >/dev/null
check "car export CID/path: root is the subdirectory" "$sub" "$(ipfs_car roots sub.car)"
ipfs_car unpack sub.car --output sub.out >/dev/null
check "car export CID/path: unpacks to the subdirectory" same "$(same_bytes tree/日本語 sub.out)"
cid="$(ours add -Q --profile $V1 few-mib)"
"$IA_BIN" car export "$cid" -o - 2>/dev/null | "$IPFS_CAR" unpack --output stdout.out 2>/dev/null || true
check "car export -o - piped into ipfs-car unpack" same "$(same_bytes few-mib stdout.out)"

echo "== (b) ipfs-car pack, then car import and get"
n=0
for p in "few-mib:--no-wrap" "empty:--no-wrap" "tree-noempty:--no-wrap -H" "few-mib:" "tree-noempty:-H"; do
  IFS=: read -r f opts <<<"$p"
  n=$((n + 1))
  what="ipfs-car pack $f${opts:+ $opts}"
  root="$(ipfs_car pack $f $opts --output "b$n.car")"
  # ipfs-car uses the v1 defaults (CIDv1, raw leaves, 1 MiB chunks, 1024 links). Its default
  # --wrap puts a file in a directory, as `add -w` does, but leaves a directory as it is.
  our_opts="--profile $V1"
  wrapped=no
  [ -d $f ] && our_opts+=" -r"
  [[ $opts == *-H* ]] && our_opts+=" -H"
  [[ $opts == *--no-wrap* || -d $f ]] || { our_opts+=" -w"; wrapped=yes; }
  check "$what: our add $our_opts gives ipfs-car's root" "$root" "$(ours add -n -Q $our_opts $f)"
  repo="$T/repo-b$n"
  check "$what: car import prints ipfs-car's root" "$root" "$(ours --repo "$repo" car import "b$n.car")"
  check "$what: verify" ok "$("$IA_BIN" --repo "$repo" verify "$root" >/dev/null 2>&1 && echo ok || echo failed)"
  ours --repo "$repo" get "$root" -o "b$n.out" >/dev/null
  expected="$f"
  if [ $wrapped == yes ]; then  # the wrapper directory holds the file under its name
    mkdir "b$n.expected" && cp -r $f "b$n.expected/"
    expected="b$n.expected"
  fi
  check "$what: get gives identical bytes" same "$(same_bytes "$expected" "b$n.out")"
done
check "car import - (stdin)" "$(ipfs_car roots b1.car)" "$(ours --repo "$T/repo-stdin" car import - <b1.car)"
"$IA_BIN" --repo "$T/repo-stdin" cat "$(ipfs_car roots b1.car)" >cat.out 2>/dev/null || true
check "car import - (stdin): cat gives identical bytes" same "$(same_bytes few-mib cat.out)"

echo "== a damaged CAR is refused, and nothing of it is kept"
cp b1.car bad.car
size=$(stat -c %s bad.car)
printf '\xff' | dd of=bad.car bs=1 seek=$((size / 2)) conv=notrunc status=none  # inside a leaf
rc=0
"$IA_BIN" --repo "$T/repo-bad" car import bad.car >/dev/null 2>"$T/err" || rc=$?
check "car import of a CAR with a corrupted block fails" failed "$( ((rc)) && echo failed || echo "succeeded")"
check "car import of a damaged CAR says a block does not match its hash" yes \
  "$(grep -q 'hash' "$T/err" && echo yes || echo "no: $(cat "$T/err")")"
check "car import of a damaged CAR stores nothing" '"blocks_checked": 0,' \
  "$("$IA_BIN" --repo "$T/repo-bad" verify --json 2>&1 | grep -o '"blocks_checked": [0-9]*,' || true)"

echo "== our export, our import (round trip into a fresh repository)"
cid="$(ours add -Q --profile $V0 -r -H tree)"
ours car export "$cid" -o rt.car >/dev/null
check "round trip: car import prints the root" "$cid" "$(ours --repo "$T/repo-rt" car import rt.car)"
ours --repo "$T/repo-rt" get "$cid" -o rt.out >/dev/null
check "round trip: get gives identical bytes (empty dir, hidden, non-ASCII)" same "$(same_bytes tree rt.out)"

summary car_interop
