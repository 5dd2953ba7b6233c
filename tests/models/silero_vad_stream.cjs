// Silero VAD over a stream of frames on onnxruntime-node, carrying its recurrent state from frame
// to frame: the reference of silero_vad_test.sh.
//   node silero_vad_stream.cjs MODEL FRAMES_DIR
// FRAMES_DIR holds 000.npy, 001.npy, ... (float32 [1, samples]) and sr.npy (int64 scalar). The
// model's state inputs are found by name: h and c (the legacy model) or state (v5, v6), zeros at
// first, then the outputs hn/cn or stateN of the frame before. Prints {"probabilities": [...],
// "state": [...]} (the last state, flattened). Run with NODE_PATH=.deps/npm/node_modules.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const {readNpy} = require('../../tools/ort/npy.js');

// The output that carries each state input on to the next frame.
const kNext = {h: 'hn', c: 'cn', state: 'stateN'};

async function main() {
  const [model, dir] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu']});
  const sr = readNpy(path.join(dir, 'sr.npy'), ort);
  const frames = fs.readdirSync(dir).filter(f => /^\d+\.npy$/.test(f)).sort();
  const state = {};
  for (const name of session.inputNames) {
    if (!(name in kNext)) continue;
    state[name] = readNpy(path.join(dir, `${name}0.npy`), ort);  // the zero state, as ours gets it
  }
  const probabilities = [];
  let last = [];
  for (const f of frames) {
    const feeds = {input: readNpy(path.join(dir, f), ort), sr, ...state};
    const out = await session.run(feeds);
    probabilities.push(out.output.data[0]);
    for (const name of Object.keys(state)) state[name] = out[kNext[name]];
    last = Object.keys(state).flatMap(name => Array.from(state[name].data));
  }
  process.stdout.write(JSON.stringify({probabilities, state: last}));
}
main().catch(e => { console.error(`silero_vad_stream: ${e.message}`); process.exit(1); });
