// The peer of `ipfs-accelerate serve` for bench/serve: one ONNX model in onnxruntime-node behind
// a plain node:http server, as a user would write it without our server. It speaks the same
// KServe v2 (Open Inference Protocol) REST as ours, JSON and the binary tensor extension, on
//   POST /v2/models/NAME/infer, GET /v2/health/live|ready, GET /v2/models/NAME,
// so one client drives both. No batching: each request is one session.run, awaited.
//
//   node ort_server.js MODEL.onnx NAME THREADS [PORT] [--serial]
//
// By default every request calls session.run as it comes (what the plain handler does; runs then
// overlap, each with THREADS intra-op threads); --serial runs them one at a time, in arrival order.
// Prints "ort_server: listening on http://127.0.0.1:PORT" on stdout (PORT 0 or none: a free one).
// intraOpNumThreads = THREADS, interOpNumThreads 1, graphOptimizationLevel 'all', CPU only.
'use strict';
const http = require('http');
const ort = require('onnxruntime-node');

// KServe datatype <-> ORT tensor type, and the typed array of each.
const kTypes = {
  FP32: ['float32', Float32Array], FP64: ['float64', Float64Array], INT64: ['int64', BigInt64Array],
  INT32: ['int32', Int32Array], INT16: ['int16', Int16Array], INT8: ['int8', Int8Array],
  UINT8: ['uint8', Uint8Array], UINT16: ['uint16', Uint16Array], BOOL: ['bool', Uint8Array],
};
const kDatatypeOf = Object.fromEntries(Object.entries(kTypes).map(([k, [t]]) => [t, k]));

function flatten(data, out = []) {
  for (const x of data) Array.isArray(x) ? flatten(x, out) : out.push(x);
  return out;
}

// Request body -> {feeds, binaryOut, outputs (names or null), id}; throws with a message on bad input.
function decode(body, headerLength) {
  const jsonEnd = headerLength === undefined ? body.length : headerLength;
  if (!(jsonEnd >= 0 && jsonEnd <= body.length)) throw new Error('Inference-Header-Content-Length is past the body');
  const header = JSON.parse(body.toString('utf8', 0, jsonEnd));
  if (!Array.isArray(header.inputs)) throw new Error("the request has no 'inputs' array");
  let at = jsonEnd;
  const feeds = {};
  for (const e of header.inputs) {
    const kind = kTypes[e.datatype];
    if (!kind) throw new Error(`input '${e.name}': datatype ${e.datatype} is not supported here`);
    const [type, Ctor] = kind;
    const count = e.shape.reduce((a, b) => a * b, 1);
    let data;
    const size = e.parameters && e.parameters.binary_data_size;
    if (size !== undefined) {
      if (at + size > body.length || size !== count * Ctor.BYTES_PER_ELEMENT) {
        throw new Error(`input '${e.name}': binary_data_size ${size} does not fit the body or the shape`);
      }
      const copy = new Uint8Array(size);  // aligned for the typed array
      copy.set(body.subarray(at, at + size));
      at += size;
      data = new Ctor(copy.buffer);
    } else {
      const flat = flatten(e.data);
      if (flat.length !== count) throw new Error(`input '${e.name}': ${flat.length} values for shape [${e.shape}]`);
      data = Ctor === BigInt64Array ? BigInt64Array.from(flat, (x) => BigInt(x)) : Ctor.from(flat);
    }
    feeds[e.name] = new ort.Tensor(type, data, e.shape);
  }
  const binaryAll = !!(header.parameters && header.parameters.binary_data_output);
  const outputs = Array.isArray(header.outputs) ? header.outputs : null;
  return { feeds, binaryAll, outputs, id: header.id };
}

// Session results -> {body, headerLength (or undefined for plain JSON)}.
function encode(name, results, req) {
  const wanted = req.outputs ? req.outputs.map((o) => o.name) : Object.keys(results);
  const binaryOf = (n) => {
    const o = req.outputs && req.outputs.find((x) => x.name === n);
    return o && o.parameters && o.parameters.binary_data !== undefined ? !!o.parameters.binary_data : req.binaryAll;
  };
  const header = { model_name: name, outputs: [] };
  if (req.id !== undefined) header.id = req.id;
  const blobs = [];
  for (const n of wanted) {
    const t = results[n];
    if (!t) throw new Error(`the model has no output '${n}'`);
    const e = { name: n, datatype: kDatatypeOf[t.type] || t.type, shape: t.dims };
    if (binaryOf(n)) {
      const b = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      e.parameters = { binary_data_size: b.length };
      blobs.push(b);
    } else {
      e.data = Array.from(t.data, (x) => (typeof x === 'bigint' ? Number(x) : x));
    }
    header.outputs.push(e);
  }
  const json = Buffer.from(JSON.stringify(header));
  if (blobs.length === 0) return { body: json };
  return { body: Buffer.concat([json, ...blobs]), headerLength: json.length };
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  res.end(body);
}
const error = (res, status, message) => reply(res, status, Buffer.from(JSON.stringify({ error: message })));

async function main() {
  const args = process.argv.slice(2);
  const serial = args.includes('--serial');
  const [model, name, threads, port = '0'] = args.filter((a) => a !== '--serial');
  if (!model || !name || !threads) {
    console.error('usage: node ort_server.js MODEL.onnx NAME THREADS [PORT]');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionProviders: ['cpu']});
  const inferPath = `/v2/models/${name}/infer`;
  let last = Promise.resolve();
  const run = (feeds) => {
    if (!serial) return session.run(feeds);
    const p = last.then(() => session.run(feeds));
    last = p.catch(() => {});
    return p;
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (req.url === '/v2/health/live' || req.url === '/v2/health/ready') return reply(res, 200, Buffer.from('{}'));
      if (req.method === 'GET' && req.url === `/v2/models/${name}`) {
        return reply(res, 200, Buffer.from(JSON.stringify({ name, platform: 'onnxruntime',
          inputs: session.inputNames.map((n) => ({ name: n })), outputs: session.outputNames.map((n) => ({ name: n })) })));
      }
      if (req.url !== inferPath) return error(res, 404, `no route ${req.method} ${req.url}`);
      if (req.method !== 'POST') return error(res, 405, `${req.url} wants POST`);
      let parsed;
      try {
        const hl = req.headers['inference-header-content-length'];
        parsed = decode(Buffer.concat(chunks), hl === undefined ? undefined : Number(hl));
      } catch (e) {
        return error(res, 400, e.message);
      }
      try {
        const t0 = process.hrtime.bigint();
        const results = await run(parsed.feeds);
        const ms = (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(3);
        const out = encode(name, results, parsed);
        const headers = { 'x-inference-time': ms, 'x-batch-size': '1' };
        if (out.headerLength !== undefined) {
          headers['content-type'] = 'application/octet-stream';
          headers['inference-header-content-length'] = String(out.headerLength);
        }
        reply(res, 200, out.body, headers);
      } catch (e) {
        error(res, 500, e.message);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(port), '127.0.0.1', () => {
    console.log(`ort_server: listening on http://127.0.0.1:${server.address().port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch((e) => { console.error(`ort_server: ${e.message}`); process.exit(1); });
