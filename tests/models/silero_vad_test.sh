#!/usr/bin/env bash
# Silero VAD (the legacy, v5 and v6 models of the npm package @ricky0123/vad-web: Conv front ends,
# If on the sample rate, LSTM cells) run frame by frame over synthesized speech with the recurrent
# state carried from each frame to the next (`run -o` writes it, the next `run -i` reads it back):
# every frame's speech probability and the final state equal onnxruntime-node's
# (silero_vad_stream.cjs) to 1e-4 relative (1e-6 absolute near 0), and the probability in the speech is well above that in the
# silence before it.
source "$(dirname "$0")/../cli/cli_lib.sh"
: "${IA_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
NPM="$IA_SOURCE_DIR/.deps/npm/node_modules"
DIST="$NPM/@ricky0123/vad-web/dist"
[[ -f "$DIST/silero_vad_v5.onnx" ]] || { echo "Silero VAD models missing: run scripts/setup" >&2; exit 1; }
PY=/usr/bin/python3  # with numpy (Debian's)
for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/setup" >&2; exit 1; }
done

# One second of silence, then speech, as 16 kHz 16-bit mono; cut into frames of 512 samples.
espeak-ng -w "$T/raw.wav" "voice activity detection finds the speech in a stream of sound"
# -D: no dither, so every run streams the same samples (dither is random noise).
sox -D "$T/raw.wav" -r 16000 -c 1 -b 16 "$T/speech.wav" pad 1 0.3
mkdir -p "$T/frames"
"$PY" - "$T/speech.wav" "$T/frames" <<'PY'
import sys, wave
import numpy as np
with wave.open(sys.argv[1]) as w:
    samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
out = sys.argv[2]
for i in range(len(samples) // 512):
    np.save(f"{out}/{i:03d}.npy", samples[i * 512:(i + 1) * 512].reshape(1, 512))
np.save(f"{out}/sr.npy", np.array(16000, dtype=np.int64))
np.save(f"{out}/h0.npy", np.zeros((2, 1, 64), np.float32))     # the legacy model's state
np.save(f"{out}/c0.npy", np.zeros((2, 1, 64), np.float32))
np.save(f"{out}/state0.npy", np.zeros((2, 1, 128), np.float32))  # v5 and v6
print(f"    {len(samples) // 512} frames of 512 samples")
PY

# ours MODEL NAME: the stream through our CLI, one `run` per frame; prints the same JSON.
ours() {
  local model=$1 name=$2 dir="$T/ours_$2" state
  mkdir -p "$dir"
  if [[ $name == legacy ]]; then state=(h c); else state=(state); fi
  declare -A next=([h]=hn [c]=cn [state]=stateN)
  local -A current
  for s in "${state[@]}"; do current[$s]="$T/frames/${s}0.npy"; done
  local frame i=0
  for frame in "$T"/frames/[0-9]*.npy; do
    local args=(-i "input=$frame" -i "sr=$T/frames/sr.npy")
    for s in "${state[@]}"; do args+=(-i "$s=${current[$s]}"); done
    "$IA_BIN" run "$model" "${args[@]}" --threads 1 -o "$dir/$i" >/dev/null 2>"$dir/err" ||
      fail "$name: run failed on frame $i: $(cat "$dir/err")"
    for s in "${state[@]}"; do current[$s]="$dir/$i/${next[$s]}.npy"; done
    i=$((i + 1))
  done
  "$PY" - "$dir" "$i" "${state[@]}" <<'PY'
import json, sys
import numpy as np
dir, n, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
nxt = {"h": "hn", "c": "cn", "state": "stateN"}
probs = [float(np.load(f"{dir}/{i}/output.npy").ravel()[0]) for i in range(n)]
state = np.concatenate([np.load(f"{dir}/{n - 1}/{nxt[s]}.npy").ravel() for s in names])
print(json.dumps({"probabilities": probs, "state": state.tolist()}))
PY
}

case_every_frame_and_the_state_equal_onnxruntime() {
  local name
  for name in legacy v5 v6; do
    local model="$DIST/silero_vad_$name.onnx"
    NODE_PATH="$NPM" node "$IA_SOURCE_DIR/tests/models/silero_vad_stream.cjs" "$model" "$T/frames" \
      >"$T/$name.ref.json" || fail "$name: onnxruntime-node failed"
    ours "$model" "$name" >"$T/$name.ours.json" || fail "$name: our stream failed"
    "$PY" - "$T/$name.ours.json" "$T/$name.ref.json" "$name" <<'PY' || fail "$name: differs from onnxruntime-node"
import json, sys
ours, ref, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
# numpy's allclose with rtol 1e-4: values near 0 (silence scores of 1e-4, small state entries)
# get an absolute floor of 1e-6, about what one float32 LSTM step's rounding amounts to.
for key in ("probabilities", "state"):
    a, b = ours[key], ref[key]
    assert len(a) == len(b), (key, len(a), len(b))
    worst = max(abs(x - y) / (1e-4 * abs(y) + 1e-6) for x, y in zip(a, b))
    big = [(x, y) for x, y in zip(a, b) if abs(y) >= 1e-2]
    rel = max((abs(x - y) / abs(y) for x, y in big), default=0)
    diff = max(abs(x - y) for x, y in zip(a, b))
    print(f"    {name} {key}: {len(a)} values, largest |difference| {diff:.1e}, largest relative"
          f" difference {rel:.1e} (values >= 0.01)")
    assert worst <= 1, (key, worst)
p = ref["probabilities"]
silence, speech = max(p[:25]), max(p[31:])  # 1 s of silence is 31 frames of 512
print(f"    {name}: highest probability in the silence {silence:.3f}, in the speech {speech:.3f}")
assert speech > 0.1 and silence < speech / 10, (silence, speech)  # v6 scores this speech lower
PY
  done
}

run_case "every frame and the state equal onnxruntime-node's" case_every_frame_and_the_state_equal_onnxruntime
summary
