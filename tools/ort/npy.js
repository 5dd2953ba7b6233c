// .npy files as onnxruntime-node tensors and back, for the scripts that run the ORT peer
// (bench/ort_run.js, tests/engine/ort_outputs.js). Little-endian C-order arrays of the types below.
'use strict';
const fs = require('fs');

const kTypes = {'<f4': ['float32', Float32Array], '<f2': ['float16', Uint16Array], '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
                '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array]};

function readNpy(file, ort) {
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

module.exports = {readNpy, writeNpy};
