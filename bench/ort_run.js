// Times one ONNX model with onnxruntime-node: node ort_run.js MODEL THREADS RUNS WARMUP NAME=FILE.npy...
// Prints one JSON line {median_ms, p90_ms, min_ms, runs}. Used by bench/engine_vs_ort.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order`);
  const types = {'<f4': ['float32', Float32Array], '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
                 '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array]};
  const [type, Ctor] = types[descr] || (() => { throw new Error(`${path}: dtype ${descr}`); })();
  const data = buf.subarray(start + headerLen);
  const copy = new Uint8Array(data.length); copy.set(data);
  return new ort.Tensor(type, new Ctor(copy.buffer, 0, data.length / Ctor.BYTES_PER_ELEMENT), shape);
}

async function main() {
  const [model, threads, runs, warmup, ...inputs] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionProviders: ['cpu']});
  const feeds = {};
  for (const arg of inputs) { const i = arg.indexOf('='); feeds[arg.slice(0, i)] = readNpy(arg.slice(i + 1)); }
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
