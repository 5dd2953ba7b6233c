// Runs an ONNX model with onnxruntime-node and writes a reference folder that compare_npy.py reads:
//   node ort_outputs.js MODEL OUT_DIR THREADS NAME=FILE.npy...
// OUT_DIR/manifest.json lists the inputs (as given) and OUT_DIR/outputs/<name>.npy, one per output.
// Run with NODE_PATH=.deps/npm/node_modules (CommonJS; see bench/ort_run.js).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const {readNpy, writeNpy} = require('../../tools/ort/npy.js');

async function main() {
  const [model, outDir, threads, ...inputs] = process.argv.slice(2);
  if (!inputs.length) throw new Error('usage: ort_outputs.js MODEL OUT_DIR THREADS NAME=FILE.npy...');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionProviders: ['cpu']});
  const feeds = {};
  const manifest = {model, producer: `onnxruntime-node ${require('onnxruntime-node/package.json').version}`,
                    inputs: [], outputs: []};
  for (const arg of inputs) {
    const i = arg.indexOf('=');
    const [name, file] = [arg.slice(0, i), arg.slice(i + 1)];
    feeds[name] = readNpy(file, ort);
    manifest.inputs.push({name, file: path.resolve(file)});
  }
  const t0 = process.hrtime.bigint();
  const results = await session.run(feeds);
  manifest.ort_ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.mkdirSync(path.join(outDir, 'outputs'), {recursive: true});
  for (const name of session.outputNames) {
    const file = path.join('outputs', name.replace(/[/\\:]/g, '_') + '.npy');
    writeNpy(path.join(outDir, file), results[name]);
    manifest.outputs.push({name, file, shape: results[name].dims});
  }
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
}
main().catch(e => { console.error(`ort_outputs: ${e.message}`); process.exit(1); });
