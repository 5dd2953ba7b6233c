// A small KServe v2 (Open Inference Protocol) REST client with the binary tensor data extension,
// for the server tests and benchmarks: no KServe client exists on npm (tritonclient is PyPI-only).
import http from 'node:http';

const TYPES = {
  BOOL: Uint8Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array,
  UINT64: BigUint64Array, INT8: Int8Array, INT16: Int16Array, INT32: Int32Array,
  INT64: BigInt64Array, FP16: Uint16Array, FP32: Float32Array, FP64: Float64Array,
};

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

// One HTTP request; resolves {status, headers, body: Buffer}.
export function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function jsonOf(r) {
  return JSON.parse(r.body.toString('utf8'));
}

// inputs: {name: {datatype, shape, data: TypedArray}}. Options: binaryInputs, binaryOutputs,
// outputs (names), key (API key), id. Resolves {status, headers, json, outputs: {name: {datatype,
// shape, data: TypedArray | Array}}}.
export async function infer(base, model, inputs, opts = {}) {
  const header = { inputs: [] };
  if (opts.id) header.id = opts.id;
  if (opts.binaryOutputs) header.parameters = { binary_data_output: true };
  if (opts.outputs) header.outputs = opts.outputs.map((name) => ({ name }));
  const blobs = [];
  for (const [name, t] of Object.entries(inputs)) {
    const e = { name, datatype: t.datatype, shape: t.shape };
    if (opts.binaryInputs) {
      const b = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      e.parameters = { binary_data_size: b.length };
      blobs.push(b);
    } else {
      e.data = Array.from(t.data, (x) => (typeof x === 'bigint' ? Number(x) : x));
    }
    header.inputs.push(e);
  }
  const json = Buffer.from(JSON.stringify(header));
  const headers = { 'content-type': opts.binaryInputs ? 'application/octet-stream' : 'application/json' };
  if (opts.binaryInputs) headers['inference-header-content-length'] = String(json.length);
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  const r = await request(`${base}/v2/models/${encodeURIComponent(model)}/infer`, {
    method: 'POST', headers, body: Buffer.concat([json, ...blobs]),
  });
  return decodeInferResponse(r);
}

export function decodeInferResponse(r) {
  const hlen = r.headers['inference-header-content-length'];
  const jsonBytes = hlen !== undefined ? r.body.subarray(0, Number(hlen)) : r.body;
  const json = JSON.parse(jsonBytes.toString('utf8'));
  const out = { status: r.status, headers: r.headers, json, outputs: {} };
  if (r.status !== 200) return out;
  let at = jsonBytes.length;
  for (const o of json.outputs) {
    const size = o.parameters && o.parameters.binary_data_size;
    let data;
    if (size !== undefined) {
      const bytes = Buffer.from(r.body.subarray(at, at + size));  // copied: aligned
      at += size;
      const T = TYPES[o.datatype];
      data = new T(bytes.buffer, bytes.byteOffset, size / T.BYTES_PER_ELEMENT);
    } else {
      data = o.data;
    }
    out.outputs[o.name] = { datatype: o.datatype, shape: o.shape, data };
  }
  if (at !== r.body.length) throw new Error(`binary response has ${r.body.length - at} bytes left over`);
  return out;
}

// .npy files (C order, little endian), as `ipfs-accelerate run --input/-o` reads and writes them.
const NPY = { '<f4': Float32Array, '<f8': Float64Array, '<i8': BigInt64Array, '<i4': Int32Array, '|u1': Uint8Array, '|b1': Uint8Array };
const DESCR = { FP32: '<f4', FP64: '<f8', INT64: '<i8', INT32: '<i4', UINT8: '|u1', BOOL: '|b1' };

export function encodeNpy(datatype, shape, data) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${DESCR[datatype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  while ((10 + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(h.length, 8);
  return Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export function decodeNpy(buf) {
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const bytes = Buffer.from(buf.subarray(10 + hlen));
  const T = NPY[descr];
  return { shape, data: new T(bytes.buffer, bytes.byteOffset, bytes.length / T.BYTES_PER_ELEMENT) };
}

// Relative L2 error of `got` against `want` (arrays of numbers).
export function relL2(got, want) {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Number(got[i]) - Number(want[i]);
    num += d * d;
    den += Number(want[i]) * Number(want[i]);
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
