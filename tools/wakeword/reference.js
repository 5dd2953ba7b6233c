// The wake-word pipeline of models/wakeword.h written again on onnxruntime-node, as the reference
// the wakeword test compares per-chunk scores with:
//   NODE_PATH=.deps/npm/node_modules node tools/wakeword/reference.js MODELS_DIR AUDIO.wav HEAD...
// prints {"scores": {HEAD: [one score per 1280 samples]}}. AUDIO.wav: 16-bit PCM, mono, 16 kHz.
// The steps are openWakeWord's streaming AudioFeatures (utils.py): each chunk's melspectrogram
// with the 480 samples before it (8 frames, scaled x/10 + 2), an embedding of the last 76 frames,
// each head on the last W embeddings; before the audio, silence (see models/wakeword.h).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const CHUNK = 1280, CONTEXT = 480, BANDS = 32, WINDOW = 76, FEATURES = 96;

function readWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let fmt = null;
  for (let at = 12; at + 8 <= b.length;) {
    const id = b.toString('latin1', at, at + 4), size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') fmt = {format: b.readUInt16LE(at + 8), channels: b.readUInt16LE(at + 10), rate: b.readUInt32LE(at + 12), bits: b.readUInt16LE(at + 22)};
    if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== 16000 || fmt.bits !== 16) throw new Error(`${file}: want 16-bit PCM mono 16 kHz, got ${JSON.stringify(fmt)}`);
      const n = Math.min(size, b.length - at - 8) >> 1;
      const out = new Int16Array(n);
      for (let i = 0; i < n; ++i) out[i] = b.readInt16LE(at + 8 + 2 * i);
      return out;
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

async function run(session, array, dims) {
  const out = await session.run({[session.inputNames[0]]: new ort.Tensor('float32', array, dims)});
  return out[session.outputNames[0]].data;
}

async function main() {
  const [dir, wav, ...heads] = process.argv.slice(2);
  if (!heads.length) throw new Error('usage: reference.js MODELS_DIR AUDIO.wav HEAD...');
  const opts = {intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu']};
  const mel = await ort.InferenceSession.create(path.join(dir, 'melspectrogram.onnx'), opts);
  const emb = await ort.InferenceSession.create(path.join(dir, 'embedding_model.onnx'), opts);
  const samples = readWav(wav);
  const chunks = Math.ceil(samples.length / CHUNK);
  const audio = new Float32Array(CONTEXT + chunks * CHUNK);
  for (let i = 0; i < samples.length; ++i) audio[CONTEXT + i] = samples[i];

  const melOf = async (x) => Array.from(await run(mel, x, [1, x.length]), (v) => v / 10 + 2);
  const silence = (await melOf(new Float32Array(CONTEXT + CHUNK))).slice(0, BANDS);
  let frames = [];
  for (let i = 0; i < WINDOW; ++i) frames.push(...silence);
  const embedWindow = async () => Array.from(await run(emb, Float32Array.from(frames.slice(-WINDOW * BANDS)), [1, WINDOW, BANDS, 1]));
  const features = [await embedWindow()];
  for (let c = 0; c < chunks; ++c) {
    const m = await melOf(audio.subarray(c * CHUNK, c * CHUNK + CONTEXT + CHUNK));
    if (m.length !== 8 * BANDS) throw new Error(`melspectrogram gave ${m.length / BANDS} frames`);
    frames.push(...m);
    features.push(await embedWindow());
  }
  const scores = {};
  for (const name of heads) {
    const file = fs.existsSync(path.join(dir, `${name}.onnx`)) ? `${name}.onnx` : `${name}_v0.1.onnx`;
    const head = await ort.InferenceSession.create(path.join(dir, file), opts);
    const w = head.inputMetadata ? (Array.isArray(head.inputMetadata) ? head.inputMetadata[0].shape[1] : 16) : 16;
    scores[name] = [];
    for (let c = 1; c <= chunks; ++c) {
      const x = new Float32Array(w * FEATURES);
      for (let k = c - w + 1, j = 0; k <= c; ++k, ++j) x.set(features[Math.max(k, 0)], j * FEATURES);
      scores[name].push((await run(head, x, [1, w, FEATURES]))[0]);
    }
  }
  process.stdout.write(JSON.stringify({scores}) + '\n');
}

main().catch((e) => { console.error(e.message); process.exit(1); });
