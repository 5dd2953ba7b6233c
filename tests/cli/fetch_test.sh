#!/usr/bin/env bash
# `ipfs-accelerate fetch` from `ipfs-accelerate serve`'s trustless gateway (GET /ipfs/{cid} raw
# blocks), two processes and two repositories on 127.0.0.1: the whole DAG arrives verified and
# pinned, a second fetch asks for nothing, a partial repository fetches only what it lacks, and
# bad sources and bad CIDs are clear errors that pin nothing. Also the gateway's answers to curl.
source "$(dirname "$0")/cli_lib.sh"

A="$T/repo-a"
mkdir -p "$T/model"
make_file "$T/model/model.onnx" $((3 * 1024 * 1024 + 17)) 7
echo '{"model_type": "test"}' >"$T/model/config.json"
ROOT=$(ia "$A" add -Q -r "$T/model")
OTHER=$(echo "not on the gateway" | ia "$T/repo-other" add -Q)

serve_bg "$A"
echo "gateway at $BASE, root $ROOT"

json_field() {  # json_field FILE EXPR: prints EXPR evaluated on the JSON in FILE as j
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

case_fetch_whole_dag() {
  local C="$T/repo-c"
  run_capture fetch1 ia "$C" fetch "$ROOT" --from "$BASE" --json
  ((RC == 0)) || fail "fetch exited $RC: $(cat "$T/fetch1.err")"
  local blocks fetched
  blocks=$(json_field "$T/fetch1.out" "j['blocks']")
  fetched=$(json_field "$T/fetch1.out" "j['fetched_blocks']")
  ((blocks > 3)) || fail "expected a DAG of several blocks, got $blocks"
  ((fetched == blocks)) || fail "an empty repository should fetch every block: $fetched of $blocks"
  ia "$C" cat "$ROOT/model.onnx" >"$T/got.onnx"
  cmp "$T/model/model.onnx" "$T/got.onnx" || fail "fetched file differs"
  ia "$C" pin ls >"$T/pins.out"
  assert_contains "$T/pins.out" "$ROOT"
  ia "$C" verify "$ROOT" >/dev/null || fail "verify after fetch failed"

  run_capture fetch2 ia "$C" fetch "$ROOT" --from "$BASE" --json
  ((RC == 0)) || fail "second fetch exited $RC: $(cat "$T/fetch2.err")"
  [[ $(json_field "$T/fetch2.out" "j['fetched_blocks']") == 0 ]] ||
    fail "a second fetch asked the network: $(cat "$T/fetch2.out")"
}

case_partial_repository_fetches_only_the_rest() {
  local D="$T/repo-d"
  ia "$D" fetch "$ROOT" --from "$BASE" --no-pin >/dev/null
  # Remove three stored blocks, as a fetch stopped part way would have left them out.
  mapfile -t files < <(find "$D/blocks" -type f | LC_ALL=C sort | head -n 3)
  rm -f "${files[@]}"
  run_capture fetch3 ia "$D" fetch "$ROOT" --from "$BASE" --json
  ((RC == 0)) || fail "fetch exited $RC: $(cat "$T/fetch3.err")"
  [[ $(json_field "$T/fetch3.out" "j['fetched_blocks']") == 3 ]] ||
    fail "expected exactly the 3 missing blocks fetched: $(cat "$T/fetch3.out")"
  ia "$D" cat "$ROOT/model.onnx" | cmp - "$T/model/model.onnx" || fail "content differs"
}

case_bad_sources_and_cids_are_clear_errors() {
  local E="$T/repo-e"
  expect_error no_source "no source to fetch .*--set ipfs.gateway=" \
    ia "$E" --set ipfs.gateway= --set ipfs.local_node= fetch "$ROOT"
  expect_error bad_cid "" ia "$E" fetch not-a-cid --from "$BASE"
  expect_error absent "does not have the block" ia "$E" fetch "$OTHER" --from "$BASE"
  expect_error unreachable "127\.0\.0\.1:1" ia "$E" fetch "$ROOT" --from http://127.0.0.1:1 --timeout 5
  expect_error not_http "not an http" ia "$E" fetch "$ROOT" --from ftp://127.0.0.1/
  ia "$E" pin ls >"$T/e-pins.out"
  ! grep -q . "$T/e-pins.out" || fail "a failed fetch pinned something: $(cat "$T/e-pins.out")"
}

case_gateway_answers_as_the_spec_says() {
  curl -s -D "$T/h1" -o "$T/b1" "$BASE/ipfs/$ROOT?format=raw"
  assert_contains "$T/h1" "HTTP/1.1 200"
  grep -qi "^content-type: application/vnd.ipld.raw" "$T/h1" || fail "raw Content-Type: $(cat "$T/h1")"
  grep -qi "^cache-control: public, max-age=29030400, immutable" "$T/h1" || fail "Cache-Control: $(cat "$T/h1")"
  grep -qi "^etag: \"$ROOT.raw\"" "$T/h1" || fail "Etag: $(cat "$T/h1")"
  curl -s -D "$T/h2" -o /dev/null -H "Accept: application/vnd.ipld.raw" "$BASE/ipfs/$ROOT"
  assert_contains "$T/h2" "HTTP/1.1 200"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/ipfs/$ROOT") == 406 ]] || fail "no format: not 406"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/ipfs/bafyBAD?format=raw") == 400 ]] || fail "bad CID: not 400"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/ipfs/$OTHER?format=raw") == 404 ]] || fail "absent: not 404"
}

run_case "fetch stores the whole DAG, verified and pinned; a second fetch asks for nothing" case_fetch_whole_dag
run_case "a partial repository fetches only the blocks it lacks" case_partial_repository_fetches_only_the_rest
run_case "bad sources and CIDs are clear errors and pin nothing" case_bad_sources_and_cids_are_clear_errors
run_case "the gateway answers raw blocks with the spec's headers, 406/400/404 otherwise" case_gateway_answers_as_the_spec_says
summary
