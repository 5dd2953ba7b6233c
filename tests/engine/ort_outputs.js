// Runs an ONNX model with onnxruntime-node and writes a reference folder that compare_npy.py reads:
//   node ort_outputs.js MODEL OUT_DIR THREADS NAME=FILE.npy...
// OUT_DIR/manifest.json lists the inputs (as given) and OUT_DIR/outputs/<name>.npy, one per output.
// Run with NODE_PATH=.deps/npm/node_modules (CommonJS; see bench/ort_run.js).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const kTypes = {'<f4': ['float32', Float32Array], '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
                '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array]};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const [type, Ctor] = kTypes[descr] || (() => { throw new Error(`${file}: dtype ${descr}`); })();
  const data = buf.subarray(start + headerLen);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return new ort.Tensor(type, new Ctor(copy.buffer, 0, data.length / Ctor.BYTES_PER_ELEMENT), shape);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(kTypes).find(k => kTypes[k][0] === tensor.type);
  if (!descr) throw new Error(`output type ${tensor.type} cannot be written as .npy here`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
                                        Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

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
    feeds[name] = readNpy(file);
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
