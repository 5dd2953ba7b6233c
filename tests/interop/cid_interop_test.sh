#!/usr/bin/env bash
# `ipfs-accelerate add` must give the root CIDs of the IPFS reference importer
# (ipfs-unixfs-importer, through tests/interop/ref_add.mjs) in both profiles, with Kubo's
# overrides, and must refuse a directory that the reference would HAMT-shard.
# Option strings, profile names and file names here are plain words, meant to split.
# shellcheck disable=SC2086
set -euo pipefail
# shellcheck source=tests/interop/interop_lib.sh
source "$(dirname "$0")/interop_lib.sh"

# same NAME "OUR_OPTS" "REF_OPTS" PATH...: `add -n -Q OUR_OPTS` against the reference.
same() {
  local name="$1" our_opts="$2" ref_opts="$3"
  shift 3
  check "$name" "$(ref $ref_opts "$@")" "$(ours add -n -Q $our_opts "$@")"
}

# expect_error NAME PATTERN ADD_ARGS...: `add` fails, prints no CID, and its error matches PATTERN.
expect_error() {
  local name="$1" pattern="$2" rc=0 got
  shift 2
  "$IA_BIN" add "$@" >"$T/out" 2>"$T/err" || rc=$?
  got="failed=$( ((rc)) && echo yes || echo no) stdout=[$(cat "$T/out")]"
  got+=" error-says-$pattern=$(grep -qE "$pattern" "$T/err" && echo yes || echo "no: $(cat "$T/err")")"
  check "$name" "failed=yes stdout=[] error-says-$pattern=yes" "$got"
}

# names DIR COUNT LEN NLONG: COUNT empty files with LEN-byte names (the first NLONG one longer).
names() {
  mkdir -p "$1"
  awk -v n="$2" -v len="$3" -v k="$4" 'BEGIN {
    for (i = 0; i < n; i++) {
      s = sprintf("f%06d", i); m = i < k ? len + 1 : len
      while (length(s) < m) s = s "x"
      print s
    }
  }' | (cd "$1" && xargs touch)
}

cd "$T"

echo "== known vectors"
printf 'hello world' >hello
: >empty
mkdir emptydir
check "hello world v0" Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD "$(ours add -n -Q --profile $V0 hello)"
check "hello world v1" bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e "$(ours add -n -Q --profile $V1 hello)"
check "hello world default profile is v1" bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e "$(ours add -n -Q hello)"
check "empty file v1" bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku "$(ours add -n -Q --profile $V1 empty)"
check "empty file v0" QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH "$(ours add -n -Q --profile $V0 empty)"
check "empty directory v0" QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn "$(ours add -n -Q -r --profile $V0 emptydir)"
check "empty directory v1" bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354 "$(ours add -n -Q -r --profile $V1 emptydir)"
check "reference agrees: hello world v0" Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD "$(ref --profile $V0 hello)"

echo "== files, per profile: sizes around one chunk"
printf z >one
for p in "$V0:262144" "$V1:1048576"; do
  prof="${p%%:*}" c="${p##*:}"
  gen "$prof" $((c + 1)) >chunky
  head -c $((c - 1)) chunky >chunk-1
  head -c "$c" chunky >chunk
  mv chunky chunk+1
  gen few $((3 * 1048576 + 500000)) >few-mib
  for f in empty one hello chunk-1 chunk chunk+1 few-mib; do
    same "$prof file $f ($(stat -c %s $f) bytes)" "--profile $prof" "--profile $prof" $f
  done
  rm chunk-1 chunk chunk+1
done

echo "== files: the balanced tree gains a level"
c=262144
gen levels $((175 * c)) >v0-175
head -c $((174 * c)) v0-175 >v0-174
head -c $((174 * c + 1)) v0-175 >v0-174+1b
for f in v0-174 v0-174+1b v0-175; do
  same "$V0 file $f chunks of 256 KiB" "--profile $V0" "--profile $V0" $f
done
rm v0-174 v0-174+1b v0-175
# v1 adds a level after 1024 chunks (1 GiB of real 1 MiB chunks): smaller chunks on both sides.
gen levels $((1025 * 1024)) >v1-1025
head -c $((1024 * 1024)) v1-1025 >v1-1024
head -c $((1024 * 1024 + 1)) v1-1025 >v1-1024+1b
for f in v1-1024 v1-1024+1b v1-1025; do
  same "$V1 file $f chunks of 1 KiB (--chunker size-1024)" "--profile $V1 --chunker size-1024" \
    "--profile $V1 --chunk 1024" $f
  same "$V0 file $f chunks of 1 KiB (--chunker size-1024, 174 links)" "--profile $V0 --chunker size-1024" \
    "--profile $V0 --chunk 1024" $f
done
same "$V0 --raw-leaves file v1-1025 (two levels, CIDv0 root)" "--profile $V0 --raw-leaves --chunker size-1024" \
  "--profile $V0 --raw-leaves true --chunk 1024" v1-1025
same "$V1 --raw-leaves=false file v1-1025 (two levels)" "--profile $V1 --raw-leaves=false --chunker size-1024" \
  "--profile $V1 --raw-leaves false --chunk 1024" v1-1025
# A third level: 174*174 = 30276 chunks of 16 bytes.
gen third $((174 * 174 * 16 + 16)) >v0-l3
head -c $((174 * 174 * 16)) v0-l3 >v0-30276
head -c $((174 * 174 * 16 + 1)) v0-l3 >v0-30276+1b
for f in v0-30276 v0-30276+1b; do
  same "$V0 file $f chunks of 16 B (--chunker size-16)" "--profile $V0 --chunker size-16" \
    "--profile $V0 --chunk 16" $f
done
rm v0-l3 v0-30276 v0-30276+1b

echo "== files: Kubo-style overrides"
gen middle 600000 >mid  # 3 chunks of 256 KiB, 1 of 1 MiB
for f in empty hello mid few-mib; do
  # Kubo: --cid-version 1 implies raw leaves unless --raw-leaves is given.
  same "$V0 --cid-version 1 $f" "--profile $V0 --cid-version 1" "--profile $V0 --cid-version 1 --raw-leaves true" $f
  same "$V0 --cid-version 1 --raw-leaves=false $f" "--profile $V0 --cid-version 1 --raw-leaves=false" \
    "--profile $V0 --cid-version 1 --raw-leaves false" $f
  same "$V0 --raw-leaves (CIDv0 root, raw leaves) $f" "--profile $V0 --raw-leaves" "--profile $V0 --raw-leaves true" $f
  same "$V1 --raw-leaves=false $f" "--profile $V1 --raw-leaves=false" "--profile $V1 --raw-leaves false" $f
  # ... and --cid-version 0 implies dag-pb leaves (Qm… CIDs), unless --raw-leaves is given.
  same "$V1 --cid-version 0 $f" "--profile $V1 --cid-version 0" "--profile $V1 --cid-version 0 --raw-leaves false" $f
  same "$V1 --cid-version 0 --raw-leaves $f" "--profile $V1 --cid-version 0 --raw-leaves" \
    "--profile $V1 --cid-version 0 --raw-leaves true" $f
done
same "$V1 --chunker size-262144 few-mib" "--profile $V1 --chunker size-262144" "--profile $V1 --chunk 262144" few-mib
same "$V0 --chunker size-1048576 few-mib" "--profile $V0 --chunker size-1048576" "--profile $V0 --chunk 1048576" few-mib
same "$V0 --chunker size-1000 mid" "--profile $V0 --chunker size-1000" "--profile $V0 --chunk 1000" mid
same "$V1 --chunker size-1000 mid" "--profile $V1 --chunker size-1000" "--profile $V1 --chunk 1000" mid
same "$V1 --chunker size-1 hello" "--profile $V1 --chunker size-1" "--profile $V1 --chunk 1" hello
same "$V0 --chunker size-1 --raw-leaves=false --cid-version 1 hello" \
  "--profile $V0 --chunker size-1 --cid-version 1 --raw-leaves=false" \
  "--profile $V0 --chunk 1 --cid-version 1 --raw-leaves false" hello

echo "== bad or unsupported options are refused with a usable error"
expect_error "--chunker size-0" "size-N" -n -Q --chunker size-0 hello
expect_error "--chunker size-1048577 (over Kubo's 1 MiB)" "size-N" -n -Q --chunker size-1048577 hello
expect_error "--chunker rabin (Kubo has it; we do not)" "size-N" -n -Q --chunker rabin-262144-524288-1048576 hello
expect_error "--cid-version 2" "cid-version" -n -Q --cid-version 2 hello
expect_error "--profile unknown" "unixfs-v1-2025" -n -Q --profile unixfs-v2 hello

echo "== directories"
make_tree tree
cp -r tree tree-visible
rm -r tree-visible/.hidden tree-visible/.config
mkdir -p only-empty/inner
for prof in $V0 $V1; do
  same "$prof tree -r -H" "--profile $prof -r -H" "--profile $prof" tree
  check "$prof tree -r skips hidden entries" "$(ref --profile $prof tree-visible)" \
    "$(ours add -n -Q --profile $prof -r tree)"
  same "$prof subdirectory with non-ASCII names" "--profile $prof -r" "--profile $prof" tree/日本語
  same "$prof directory holding only an empty directory" "--profile $prof -r" "--profile $prof" only-empty
  same "$prof tree --chunker size-1024" "--profile $prof -r -H --chunker size-1024" "--profile $prof --chunk 1024" tree
done
same "$V0 tree --cid-version 1" "--profile $V0 -r -H --cid-version 1" "--profile $V0 --cid-version 1 --raw-leaves true" tree
same "$V1 tree --raw-leaves=false" "--profile $V1 -r -H --raw-leaves=false" "--profile $V1 --raw-leaves false" tree

echo "== -w (wrapWithDirectory)"
for prof in $V0 $V1; do
  same "$prof -w one file" "--profile $prof -w" "--profile $prof --wrap" hello
  same "$prof -w two files" "--profile $prof -w" "--profile $prof --wrap" hello mid
  same "$prof -w -r directory and file" "--profile $prof -w -r -H" "--profile $prof --wrap" tree hello
  same "$prof -w empty file" "--profile $prof -w" "--profile $prof --wrap" empty
done

echo "== storing: add = add -n, and cat gives the bytes back"
for p in "$V0:few-mib:" "$V1:few-mib:" "$V0:v1-1025:--chunker size-1024" "$V1:v1-1025:--chunker size-1024"; do
  IFS=: read -r prof f extra <<<"$p"
  hashed="$(ours add -n -Q --profile "$prof" $extra $f)"
  stored="$(ours add -Q --profile "$prof" $extra $f)"
  check "$prof add = add -n: $f${extra:+ $extra}" "$hashed" "$stored"
  "$IA_BIN" cat "$stored" >"$T/cat.out" 2>"$T/err" || true
  check "$prof cat returns identical bytes: $f${extra:+ $extra}" same "$(cmp -s $f "$T/cat.out" && echo same || echo differ)"
done
for prof in $V0 $V1; do
  check "$prof add -r -H = add -n -r -H: tree" "$(ours add -n -Q -r -H --profile $prof tree)" \
    "$(ours add -Q -r -H --profile $prof tree)"
done
check "verify after the adds" ok "$("$IA_BIN" verify >/dev/null 2>&1 && echo ok || echo "verify failed")"

echo "== directories at the basic-directory limit (256 KiB); beyond it the reference HAMT-shards"
# v1 (block-bytes): 4 bytes of Data, and per empty-file link 44 + name bytes (names < 86 bytes):
# 4 + 2110*(44+80) + 4*(44+81) = 262144, the limit itself, so still a basic directory.
names v1-at 2114 80 4
names v1-over 2114 80 5
same "$V1 directory of exactly 262144 block bytes" "--profile $V1 -r" "--profile $V1" v1-at
expect_error "$V1 directory of 262145 block bytes is refused" HAMT -n -Q -r --profile $V1 v1-over
# v0 (links-bytes): name bytes + 34 CID bytes per link: 2048*(94+34) = 262144.
names v0-at 2048 94 0
names v0-over 2048 94 1
same "$V0 directory of exactly 262144 link bytes" "--profile $V0 -r" "--profile $V0" v0-at
expect_error "$V0 directory of 262145 link bytes is refused" HAMT -n -Q -r --profile $V0 v0-over
names big-dir 5000 64 0
expect_error "$V1 directory of 5000 long names is refused" HAMT -n -Q -r --profile $V1 big-dir
mkdir nested && mv v1-over nested/
expect_error "$V1 over-limit subdirectory is refused" HAMT -n -Q -r --profile $V1 nested
pins_before="$(ours pin ls)"
expect_error "$V1 over-limit directory is refused when storing too" HAMT -Q -r --profile $V1 big-dir
check "the refused add pins nothing" "$pins_before" "$(ours pin ls)"

summary cid_interop
