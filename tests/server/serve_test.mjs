// `ipfs-accelerate serve` driven over real sockets: every KServe v2 route, responses validated
// against the protocol's official OpenAPI description (ajv), outputs equal to `ipfs-accelerate
// run` on the same inputs, dynamic batching equal to unbatched runs, bad input answered 4xx while
// the server keeps serving, keys, the memory budget, metrics, and a graceful stop.
// Env: IA_BIN, IA_SOURCE_DIR, MODELS (directory with mlp_test, bert_test, vit_test), WORK (temp
// directory), SOAK_S (seconds of the 64-client phase, default 30).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { request, jsonOf, infer, encodeNpy, decodeNpy, relL2 } from './kserve_client.mjs';

const { IA_BIN, IA_SOURCE_DIR, MODELS, WORK } = process.env;
const SOAK_S = Number(process.env.SOAK_S || 30);
const require = createRequire(path.join(IA_SOURCE_DIR, '.deps/npm/node_modules/'));
const Ajv = require('ajv');
const yaml = require('js-yaml');

let passed = 0, failed = 0;
const failures = [];
function check(cond, what) {
  if (cond) { passed++; } else { failed++; failures.push(what); console.log(`  FAIL ${what}`); }
}

// --- the protocol's schemas -------------------------------------------------------------------
const spec = yaml.load(fs.readFileSync(path.join(IA_SOURCE_DIR, 'tests/server/data/open_inference_rest.yaml'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const schemas = JSON.parse(JSON.stringify(spec.components.schemas).replaceAll('#/components/schemas/', 'oip#/definitions/'));
ajv.addSchema({ $id: 'oip', definitions: schemas });
function valid(name, body) {
  const ok = ajv.validate({ $ref: `oip#/definitions/${name}` }, body);
  if (!ok) console.log(`  ${name}: ${ajv.errorsText()} in ${JSON.stringify(body).slice(0, 300)}`);
  return ok;
}

// --- starting and stopping servers ------------------------------------------------------------
const USER_KEY = 'user-key-0123456789abcdef';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
fs.writeFileSync(path.join(WORK, 'user.key'), `# test key\n${USER_KEY}\n`);
fs.writeFileSync(path.join(WORK, 'admin.key'), `${ADMIN_KEY}\n`);

// Every server started, killed when this process ends however it ends (pass, fail or throw).
const started = [];
process.on('exit', () => { for (const p of started) if (p.exitCode_ === undefined) p.kill('SIGKILL'); });

function startServer(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(IA_BIN, ['--repo', path.join(WORK, 'repo'), 'serve', '--listen', '127.0.0.1:0', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: WORK } });
    started.push(p);
    let out = '', err = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m && !p.base) { p.base = `http://127.0.0.1:${m[1]}`; resolve(p); }
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { p.exitCode_ = code; p.stderrText = err; if (!p.base) reject(new Error(`serve exited ${code}: ${err}`)); });
    p.stderrText = () => err;
  });
}
function stopServer(p) {
  return new Promise((resolve) => {
    if (p.exitCode_ !== undefined) return resolve(p.exitCode_);
    p.on('exit', (code, signal) => resolve(code ?? signal));
    p.kill('SIGTERM');
  });
}

const auth = { authorization: `Bearer ${USER_KEY}` };
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const K = { key: USER_KEY };

// --- inputs and references from `ipfs-accelerate run` -----------------------------------------
let seed = 7;
function rand() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }
function mlpInput(batch) {
  return { x: { datatype: 'FP32', shape: [batch, 16], data: Float32Array.from({ length: batch * 16 }, () => rand() * 2 - 1) } };
}
function bertInput(batch, seq) {
  const n = batch * seq;
  return {
    input_ids: { datatype: 'INT64', shape: [batch, seq], data: BigInt64Array.from({ length: n }, () => BigInt(1 + Math.floor(rand() * 90))) },
    attention_mask: { datatype: 'INT64', shape: [batch, seq], data: BigInt64Array.from({ length: n }, () => 1n) },
    token_type_ids: { datatype: 'INT64', shape: [batch, seq], data: BigInt64Array.from({ length: n }, () => 0n) },
  };
}
function vitInput(batch) {
  return { pixel_values: { datatype: 'FP32', shape: [batch, 3, 32, 32], data: Float32Array.from({ length: batch * 3072 }, () => rand()) } };
}
let refCount = 0;
function reference(modelDir, inputs) {
  const dir = path.join(WORK, `ref${refCount++}`);
  fs.mkdirSync(dir);
  const args = ['run', modelDir, '-o', path.join(dir, 'out')];
  for (const [name, t] of Object.entries(inputs)) {
    fs.writeFileSync(path.join(dir, `${name}.npy`), encodeNpy(t.datatype, t.shape, t.data));
    args.push('--input', `${name}=${path.join(dir, `${name}.npy`)}`);
  }
  execFileSync(IA_BIN, ['--repo', path.join(WORK, 'repo'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const out = {};
  for (const f of fs.readdirSync(path.join(dir, 'out'))) out[f.replace(/\.npy$/, '')] = decodeNpy(fs.readFileSync(path.join(dir, 'out', f)));
  return out;
}
function sameAs(got, want, tol = 1e-6) {
  for (const [name, w] of Object.entries(want)) {
    const g = got.outputs[name];
    if (!g || JSON.stringify(g.shape) !== JSON.stringify(w.shape)) return `${name}: shape ${g && JSON.stringify(g.shape)} != ${JSON.stringify(w.shape)}`;
    const e = relL2(g.data, w.data);
    if (!(e <= tol)) return `${name}: relative error ${e}`;
  }
  return '';
}

const mlpDir = path.join(MODELS, 'mlp_test'), bertDir = path.join(MODELS, 'bert_test'), vitDir = path.join(MODELS, 'vit_test');

async function protocol() {
  console.log('== protocol, auth, bad input (one server, three models, keys)');
  const s = await startServer(['--model', `mlp=${mlpDir}`, '--model', `bert=${bertDir}`, '--model', `vit=${vitDir}`,
    '--api-key-file', path.join(WORK, 'user.key'), '--admin-key-file', path.join(WORK, 'admin.key'),
    // a long queue delay, so that the concurrent requests below merge however slowly this
    // machine (or ThreadSanitizer) lets them arrive
    '--max-batch-size', '8', '--max-queue-delay-us', '50000', '--parallel-requests', '2',
    '--max-body-size', '2MiB', '--header-timeout', '1']);
  const B = s.base;
  try {
    // health and server metadata
    check((await request(`${B}/v2/health/live`)).status === 200, 'live needs no key');
    check((await request(`${B}/v2/health/ready`)).status === 401, 'ready without a key is 401');
    check((await request(`${B}/v2/health/ready`, { headers: { authorization: 'Bearer wrong-key-0123456789' } })).status === 401, 'a wrong key is 401');
    check((await request(`${B}/v2/health/ready`, { headers: { 'x-api-key': USER_KEY } })).status === 200, 'x-api-key works');
    const meta = await request(`${B}/v2`, { headers: auth });
    check(meta.status === 200 && valid('metadata_server_response', jsonOf(meta)), 'GET /v2 is a valid server metadata response');
    // model metadata, by name and by CID, with versions
    const mm = await request(`${B}/v2/models/mlp`, { headers: auth });
    const mmj = jsonOf(mm);
    check(mm.status === 200 && valid('metadata_model_response', mmj), 'model metadata is valid');
    const cid = mmj.versions[0];
    check(/^baf/.test(cid) && mm.headers['x-model-cid'] === cid, 'the model version is its CID, also in x-model-cid');
    const mi = mmj.inputs;
    check(mi.length === 1 && mi[0].name === 'x' && mi[0].datatype === 'FP32' && JSON.stringify(mi[0].shape) === '[-1,16]', `model inputs with -1 for dynamic dims: ${JSON.stringify(mi)}`);
    check((await request(`${B}/v2/models/${cid}`, { headers: auth })).status === 200, 'a model is addressed by its CID');
    check((await request(`${B}/v2/models/mlp/versions/${cid}`, { headers: auth })).status === 200, 'versions/{cid} works');
    check((await request(`${B}/v2/models/mlp/versions/7`, { headers: auth })).status === 404, 'an unknown version is 404');
    check((await request(`${B}/v2/models/mlp/ready`, { headers: auth })).status === 200, 'model ready');
    const nf = await request(`${B}/v2/models/nope`, { headers: auth });
    check(nf.status === 404 && valid('metadata_model_error_response', jsonOf(nf)), 'unknown model: 404 with a JSON error');

    // inference, JSON and binary, equal to `run`
    const x = mlpInput(3);
    const want = reference(mlpDir, x);
    const j = await infer(B, 'mlp', x, { ...K, id: 'req-1' });
    check(j.status === 200 && valid('inference_response', j.json), 'JSON inference response is valid');
    check(j.json.id === 'req-1' && j.json.model_version === cid && j.headers['x-model-cid'] === cid, 'id and CID echoed');
    check(sameAs(j, want) === '', `JSON output equals run: ${sameAs(j, want)}`);
    check(j.headers['x-queue-time'] !== undefined && j.headers['x-inference-time'] !== undefined, 'timing headers');
    const b = await infer(B, 'mlp', x, { ...K, binaryInputs: true, binaryOutputs: true });
    check(b.status === 200 && b.headers['inference-header-content-length'] !== undefined, 'binary response has the header length');
    check(sameAs(b, want) === '', `binary output equals run: ${sameAs(b, want)}`);
    const bi = bertInput(2, 9);
    const bwant = reference(bertDir, bi);
    const bb = await infer(B, 'bert', bi, { ...K, binaryInputs: true });
    check(bb.status === 200 && sameAs(bb, bwant, 1e-5) === '', `bert (INT64 binary in, JSON out) equals run: ${sameAs(bb, bwant, 1e-5)}`);
    const only = await infer(B, 'bert', bi, { ...K, outputs: ['pooler_output'] });
    check(only.status === 200 && Object.keys(only.outputs).join() === 'pooler_output', 'outputs asked for are the ones returned');
    const big = mlpInput(20);  // above max_batch_size 8: split, not refused
    const bigWant = reference(mlpDir, big);
    const bigGot = await infer(B, 'mlp', big, K);
    check(bigGot.status === 200 && sameAs(bigGot, bigWant) === '', `a client batch above max_batch_size is split: ${sameAs(bigGot, bigWant)}`);

    // dynamic batching: concurrent requests merge, each answer equals its own run
    const reqs = [1, 2, 3, 1, 2, 1, 1, 3, 2, 1, 1, 1].map((n) => mlpInput(n));
    const refs = reqs.map((r) => reference(mlpDir, r));
    const answers = await Promise.all(reqs.map((r) => infer(B, 'mlp', r, K)));
    check(answers.every((a, i) => a.status === 200 && sameAs(a, refs[i]) === ''), 'every batched answer equals its unbatched run');
    check(answers.some((a) => Number(a.headers['x-batch-size']) > 3), `requests were merged (batch sizes ${answers.map((a) => a.headers['x-batch-size'])})`);

    // bad input: 4xx JSON errors
    const post = (body, headers = {}) => request(`${B}/v2/models/mlp/infer`, { method: 'POST', headers: { ...auth, ...headers }, body });
    const bad = async (what, r, code = 400) => {
      let ok = r.status === code;
      try { ok = ok && typeof jsonOf(r).error === 'string'; } catch { ok = false; }
      check(ok, `${what}: ${code} with a JSON error (got ${r.status} ${r.body.toString().slice(0, 120)})`);
    };
    await bad('malformed JSON', await post('{"inputs": [}'));
    await bad('wrong datatype', await post(JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 16], data: Array(16).fill(1) }] })));
    await bad('wrong shape', await post(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 15], data: Array(15).fill(1) }] })));
    await bad('data count differs from shape', await post(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], data: [1, 2] }] })));
    await bad('element count overflows', await post(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [4294967296, 4294967296, 16], data: [1] }] })));
    await bad('element count past the limit', await post(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1 << 30, 16], data: [1] }] })));
    const hdr = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 16], parameters: { binary_data_size: 64 } }] });
    await bad('binary size disagrees with the header', await post(Buffer.concat([Buffer.from(hdr), Buffer.alloc(60)]), { 'inference-header-content-length': String(hdr.length) }));
    await bad('header length past the body', await post(Buffer.from(hdr), { 'inference-header-content-length': '100000' }));
    await bad('unknown input', await post(JSON.stringify({ inputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: [1] }] })));
    await bad('unknown model', await request(`${B}/v2/models/nope/infer`, { method: 'POST', headers: auth, body: '{}' }), 404);
    await bad('oversized body', await post(Buffer.alloc(3 << 20, 32)), 413);
    await bad('missing key', await request(`${B}/v2/models/mlp/infer`, { method: 'POST', body: '{}' }), 401);
    await bad('user key on an admin route', await request(`${B}/v2/repository/index`, { method: 'POST', headers: auth }), 403);
    await bad('wrong method', await request(`${B}/v2/models/mlp/infer`, { headers: auth }), 405);
    // a client that sends its headers too slowly is answered 408 and cut off; others are served
    // meanwhile
    const slow = await new Promise((resolve) => {
      const sock = net.connect(Number(new URL(B).port), '127.0.0.1');
      let closed = false, got = '';
      sock.on('data', (d) => { got += d; });
      sock.on('close', () => { closed = true; resolve({ closed, got }); });
      sock.on('error', () => {});
      sock.write('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => { if (!closed) sock.write('X-Slow: 1\r\n'); }, 200);
      setTimeout(() => { clearInterval(drip); sock.destroy(); resolve({ closed, got }); }, 6000);
    });
    check(slow.closed, 'a client sending headers too slowly is cut off');
    const body408 = slow.got.slice(slow.got.indexOf('\r\n\r\n') + 4);
    check(/^HTTP\/1\.1 408 /.test(slow.got) && typeof JSON.parse(body408 || '{}').error === 'string',
      `a client sending headers too slowly is answered 408 with a JSON error: ${JSON.stringify(slow.got.slice(0, 200))}`);
    const still = await infer(B, 'mlp', x, K);
    check(still.status === 200 && sameAs(still, want) === '', 'the server still serves after the bad input');

    // repository extension, statistics, metrics
    const idx = await request(`${B}/v2/repository/index`, { method: 'POST', headers: admin });
    check(idx.status === 200 && jsonOf(idx).length === 3 && jsonOf(idx).every((m) => m.version && m.state), 'repository index lists the models');
    check((await request(`${B}/v2/repository/models/mlp/unload`, { method: 'POST', headers: admin })).status === 200, 'unload');
    check(jsonOf(await request(`${B}/v2/repository/index`, { method: 'POST', headers: admin })).find((m) => m.name === 'mlp').state === 'UNAVAILABLE', 'unloaded model is UNAVAILABLE');
    const again = await infer(B, 'mlp', x, K);
    check(again.status === 200 && sameAs(again, want) === '', 'an unloaded model loads again on demand');
    check((await request(`${B}/v2/repository/models/mlp/load`, { method: 'POST', headers: admin })).status === 200, 'load');
    const st = await request(`${B}/v2/models/mlp/stats`, { headers: auth });
    const sj = jsonOf(st).model_stats[0];
    check(st.status === 200 && sj.version === cid && sj.inference_stats.success.count > 10 && sj.batch_stats.some((e) => e.batch_size > 3), 'statistics count requests and batches');
    const met = await request(`${B}/metrics`, { headers: admin });
    const mt = met.body.toString();
    check(met.status === 200 && /nv_inference_request_success\{[^}]*model="mlp"[^}]*\} \d+/.test(mt) && /process_resident_memory_bytes \d/.test(mt), '/metrics has per-model counters and RSS');
    check((await request(`${B}/metrics`, { headers: auth })).status === 403, '/metrics needs the admin key');
  } finally {
    const code = await stopServer(s);
    check(code === 0, `SIGTERM stops the server with exit 0 (got ${code})`);
  }
}

async function memoryBudget() {
  console.log('== memory budget: two of three models fit');
  const inputs = { mlp: mlpInput(2), bert: bertInput(1, 16), vit: vitInput(2) };
  const dirs = { mlp: mlpDir, bert: bertDir, vit: vitDir };
  const refs = Object.fromEntries(Object.entries(inputs).map(([m, x]) => [m, reference(dirs[m], x)]));
  const models = Object.entries(dirs).flatMap(([m, d]) => ['--model', `${m}=${d}`]);
  // First learn what each model is charged once it has run.
  let s = await startServer(models);
  const bytes = {};
  for (const m of Object.keys(dirs)) {
    await infer(s.base, m, inputs[m]);
    bytes[m] = jsonOf(await request(`${s.base}/v2/models/${m}/stats`)).model_stats[0].memory_usage[0].byte_size;
  }
  await stopServer(s);
  const sizes = Object.values(bytes).sort((a, b) => b - a);
  const budget = sizes[0] + sizes[1] + Math.floor(sizes[2] / 2);  // the two largest fit, not all three
  s = await startServer([...models, '--memory-budget', String(budget)]);
  try {
    let ok = true;
    for (let round = 0; round < 4; round++) {
      for (const m of Object.keys(dirs)) {
        const r = await infer(s.base, m, inputs[m]);
        if (r.status !== 200 || sameAs(r, refs[m], 1e-5) !== '') { ok = false; console.log(`  ${m}: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`); }
      }
    }
    check(ok, `requests to all three models keep working under a budget of ${budget} bytes (${JSON.stringify(bytes)})`);
    const mt = (await request(`${s.base}/metrics`)).body.toString();
    const ev = [...mt.matchAll(/ia_model_evictions_total\{[^}]*\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    check(ev > 0, `the least recently used idle model was unloaded (evictions in /metrics: ${ev})`);
    const loaded = /ia_models_loaded (\d+)/.exec(mt);
    check(loaded && Number(loaded[1]) <= 2, `at most two models loaded at once (${loaded && loaded[1]})`);
  } finally {
    await stopServer(s);
  }
}

async function concurrency() {
  console.log(`== 64 clients x 3 models x mixed shapes for ${SOAK_S} s`);
  const pool = [];
  for (const n of [1, 2, 3]) pool.push({ m: 'mlp', x: mlpInput(n), dir: mlpDir });
  for (const [n, q] of [[1, 8], [1, 16], [2, 8], [1, 5]]) pool.push({ m: 'bert', x: bertInput(n, q), dir: bertDir });
  for (const n of [1, 2]) pool.push({ m: 'vit', x: vitInput(n), dir: vitDir });
  for (const p of pool) p.want = reference(p.dir, p.x);
  const s = await startServer(['--model', `mlp=${mlpDir}`, '--model', `bert=${bertDir}`, '--model', `vit=${vitDir}`,
    '--max-batch-size', '16', '--max-queue-delay-us', '1000', '--parallel-requests', '2']);
  let done = 0, errors = 0, wrong = 0;
  const end = Date.now() + SOAK_S * 1000;
  try {
    await Promise.all(Array.from({ length: 64 }, async (_, c) => {
      let i = c;
      while (Date.now() < end) {
        const p = pool[i++ % pool.length];
        try {
          const r = await infer(s.base, p.m, p.x, { binaryInputs: c % 2 === 0, binaryOutputs: c % 3 === 0 });
          if (r.status !== 200) { errors++; if (errors < 4) console.log(`  ${p.m}: ${r.status} ${JSON.stringify(r.json)}`); } else if (sameAs(r, p.want, 1e-5) !== '') { wrong++; if (wrong < 4) console.log(`  ${p.m}: ${sameAs(r, p.want, 1e-5)}`); }
        } catch (e) { errors++; if (errors < 4) console.log(`  ${e}`); }
        done++;
      }
    }));
  } finally {
    await stopServer(s);
  }
  console.log(`  ${done} requests, ${errors} errors, ${wrong} wrong`);
  check(done > 64 && errors === 0 && wrong === 0, 'every concurrent response is correct, none fails');
}

async function graceful() {
  console.log('== graceful stop: requests in flight finish');
  const s = await startServer(['--model', `bert=${bertDir}`, '--grace-period', '20']);
  const x = bertInput(4, 32);
  const inflight = Array.from({ length: 8 }, () => infer(s.base, 'bert', x));
  await new Promise((r) => setTimeout(r, 50));
  const code = await stopServer(s);
  const answers = await Promise.allSettled(inflight);
  check(code === 0, `exit 0 after SIGTERM (got ${code})`);
  check(answers.every((a) => a.status === 'fulfilled' && a.value.status === 200), `requests in flight were answered (${answers.map((a) => a.status === 'fulfilled' ? `${a.value.status} ${a.value.status === 200 ? '' : JSON.stringify(a.value.json)}` : a.reason.code)})`);
}

try {
  await protocol();
  await memoryBudget();
  await concurrency();
  await graceful();
} catch (e) {
  failed++;
  console.log(`  FAIL ${e.stack}`);
}
console.log(`serve_test: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
