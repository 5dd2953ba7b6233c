// Times one ONNX model with onnxruntime-node: node ort_run.js MODEL THREADS RUNS WARMUP NAME=FILE.npy...
// Prints one JSON line {median_ms, p90_ms, min_ms, runs}. Used by bench/engine_vs_ort.
'use strict';
const ort = require('onnxruntime-node');

const {readNpy} = require('../tools/ort/npy.js');

async function main() {
  const [model, threads, runs, warmup, ...inputs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionProviders: ['cpu']});
  const feeds = {};
  for (const arg of inputs) { const i = arg.indexOf('='); feeds[arg.slice(0, i)] = readNpy(arg.slice(i + 1), ort); }
  for (let i = 0; i < Number(warmup); ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < Number(runs); ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const q = p => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(JSON.stringify({median_ms: q(0.5), p90_ms: q(0.9), min_ms: times[0], runs: times.length}));
}
main().catch(e => { console.error(`ort_run: ${e.message}`); process.exit(1); });
