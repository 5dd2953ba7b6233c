// The browser backend end to end: `serve` with headless Chromium (Debian's) attached as a worker
// through the page it hosts, onnxruntime-web running the project's generated models.
//  - an encoder (bert_test), a CNN (resnet50_test) and a decoder step with its KV cache
//    (gpt2_test) on the wasm EP and on WebGPU (SwiftShader here) equal the CPU backend's outputs
//    within each EP's tolerance, and the answers came from the browser (no fallback counted);
//  - a lying gateway's tampered block is refused by the page: the request is answered by the CPU,
//    the failure counted as "verify";
//  - a browser killed mid-run: the request finishes on the CPU, the fallback counted in /metrics;
//  - `hw` reports WebGPU and WebNN from a real probe;
//  - with API keys, the WebSocket opens only with a key (?key=, as the page sends it);
//  - pages that break the protocol (a hello of another version, malformed frames, a result of the
//    wrong size, an EP they claim and lack, a run they never answer) get clear errors, and the
//    server keeps serving.
// Usage: node browser_backend_test.mjs (IA_BIN, IA_SOURCE_DIR from the environment). Exits 1 on
// the first failure.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { decodeFrame, encodeFrame } from '../../web/frames.js'
import { npmRequire } from './npm.mjs'

const { WebSocket } = npmRequire('ws')
const BIN = process.env.IA_BIN
const SRC = process.env.IA_SOURCE_DIR
const T = fs.mkdtempSync(path.join(os.tmpdir(), 'ia_browser_test_'))
// The project's generated test models (tools/gen_models, Debian's PyTorch), made here.
const MODELS = path.join(T, 'models')
const gen = spawnSync('/usr/bin/python3', [path.join(SRC, 'tools/gen_models/gen_models.py'), '--out', MODELS,
  '--size', 'test', '--only', 'bert,resnet50,gpt2'], { encoding: 'utf8' })
if (gen.status !== 0) {
  console.error(`generating the test models failed (run scripts/setup): ${gen.stderr.slice(-2000)}`)
  process.exit(1)
}
const children = []

function fail (msg) {
  console.error(`    ${msg}`)
  cleanup()
  process.exit(1)
}
function cleanup () {
  // SIGTERM first: a server stops its own headless browser and removes its profile.
  for (const c of children) {
    try { process.kill(c.detached ? -c.pid : c.pid, 'SIGTERM') } catch {}
  }
  spawnSync('sleep', ['1'])
  for (const c of children) {
    try { process.kill(c.detached ? -c.pid : c.pid, 'SIGKILL') } catch {}
  }
  // Chromium's helpers may still be writing their profiles for a moment after the kill.
  try { fs.rmSync(T, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }) } catch {}
}
process.on('uncaughtException', (e) => fail(`uncaught: ${e.stack}`))

function ia (repo, args) {
  const r = spawnSync(BIN, ['--repo', repo, ...args], { encoding: 'utf8' })
  if (r.status !== 0) fail(`ipfs-accelerate ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

// A repository holding the three test models; their CIDs by name.
function makeRepo (name) {
  const repo = path.join(T, name)
  const cids = {}
  for (const m of ['bert_test', 'resnet50_test', 'gpt2_test']) {
    cids[m] = ia(repo, ['add', '-Q', path.join(MODELS, m, 'model.onnx')]).trim()
  }
  return { repo, cids }
}

// `serve` on a free port of 127.0.0.1 serving the three models; resolves {url, proc, log()}.
function serve (name, { repo, cids }, global = [], args = []) {
  const log = path.join(T, `${name}.log`)
  const models = Object.entries(cids).flatMap(([m, cid]) => ['-m', `${m}=${cid}`])
  const proc = spawn(BIN, ['--repo', repo, ...global, 'serve', '--listen', '127.0.0.1:0',
    '--insecure-no-auth', ...models, ...args], { stdio: ['ignore', 'pipe', fs.openSync(log, 'w')] })
  children.push(proc)
  return new Promise((resolve) => {
    let out = ''
    const timer = setTimeout(() => fail(`${name} did not start: ${fs.readFileSync(log, 'utf8')}`), 20000)
    proc.stdout.on('data', (d) => {
      out += d
      const m = out.match(/listening on (http:\/\/[^ ]+)/)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1], proc, log: () => fs.readFileSync(log, 'utf8') })
      }
    })
  })
}

// Headless Chromium on the node's worker page, in its own process group (killable as a whole).
function chromium (url, name) {
  const dir = fs.mkdtempSync(path.join(T, 'chromium-'))
  const proc = spawn('/usr/bin/chromium', ['--headless=new', '--no-sandbox', '--disable-quic',
    '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--enable-unsafe-webgpu', `--user-data-dir=${dir}`,
    `${url}/browser/?name=${name}`], { stdio: 'ignore', detached: true })
  children.push(proc)
  return proc
}

async function get (url) {
  const r = await fetch(url)
  return { status: r.status, text: await r.text() }
}
async function waitFor (what, fn, seconds = 60) {
  const end = Date.now() + seconds * 1000
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
const workers = async (node) => JSON.parse((await get(`${node.url}/browser/workers`)).text)
async function metric (node, name, labels = '') {
  const text = (await get(`${node.url}/metrics`)).text
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (labels && !line.includes(labels)) continue
    sum += Number(line.split(' ').pop())
  }
  return sum
}

// Inputs for each model, the same every time (a fixed LCG).
function inputs (model) {
  let s = 7
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
  const floats = (shape) => ({ shape, datatype: 'FP32', data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd) })
  const ints = (shape, f) => ({ shape, datatype: 'INT64', data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f) })
  if (model === 'resnet50_test') return { pixel_values: floats([1, 3, 32, 32]) }
  if (model === 'bert_test') {
    return { input_ids: ints([1, 8], (_, i) => (i * 7 + 3) % 90), attention_mask: ints([1, 8], () => 1), token_type_ids: ints([1, 8], () => 0) }
  }
  const kv = {}
  for (let l = 0; l < 2; l++) {
    kv[`past_key_${l}`] = floats([1, 4, 3, 8])
    kv[`past_value_${l}`] = floats([1, 4, 3, 8])
  }
  return { input_ids: ints([1, 2], (_, i) => 5 + i * 11), ...kv }
}

async function infer (node, model) {
  const body = { inputs: Object.entries(inputs(model)).map(([name, t]) => ({ name, ...t })) }
  const r = await fetch(`${node.url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  const text = await r.text()
  if (r.status !== 200) fail(`${model} on ${node.url}: HTTP ${r.status}: ${text}`)
  const out = {}
  for (const o of JSON.parse(text).outputs) out[o.name] = o.data
  return out
}

// The largest difference relative to the largest magnitude, over every output.
function compare (got, want, tolerance, what) {
  for (const [name, ref] of Object.entries(want)) {
    const g = got[name]
    if (!g || g.length !== ref.length) fail(`${what}: output ${name} missing or of another size`)
    const scale = Math.max(1e-6, ...ref.map(Math.abs))
    let worst = 0
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(g[i] - ref[i]) / scale)
    if (!(worst <= tolerance)) fail(`${what}: output ${name} differs by ${worst} (relative), over ${tolerance}`)
    console.log(`    ${what} ${name}: ${worst.toExponential(2)}`)
  }
}

const MODEL_NAMES = ['bert_test', 'resnet50_test', 'gpt2_test']
const cases = {}

cases.models_match_the_cpu_on_wasm_and_webgpu = async (ctx) => {
  // wasm: the node launches its own headless browser (--launch-browser); WebGPU: one we start.
  const wasm = await serve('wasm', ctx.store, [], ['--backends', 'wasm', '--launch-browser', '--parallel-requests', '4'])
  const gpu = await serve('webgpu', ctx.store, [], ['--hardware', 'webgpu'])
  chromium(gpu.url, 'gpu')
  await waitFor('the wasm worker', async () => (await workers(wasm)).length === 1)
  await waitFor('the webgpu worker', async () => (await workers(gpu)).length === 1)
  for (const [node, ep, tol, copies] of [[wasm, 'wasm', 1e-4, 2], [gpu, 'webgpu', 1e-3, 1]]) {
    // On wasm two requests per model at once, from the first: concurrent loads and runs.
    const asked = MODEL_NAMES.flatMap((m) => Array(copies).fill(m))
    const answers = await Promise.all(asked.map((m) => infer(node, m)))
    asked.forEach((m, i) => compare(answers[i], ctx.want[m], tol, `${m} on ${ep}`))
    const runs = await metric(node, 'ia_browser_runs_total', `ep="${ep}"`)
    const fallbacks = await metric(node, 'ia_backend_fallbacks_total')
    const loads = await metric(node, 'ia_browser_model_loads_total')
    if (runs !== asked.length || fallbacks !== 0 || loads !== 3) fail(`${ep}: ${runs} browser runs, ${fallbacks} fallbacks, ${loads} loads; expected ${asked.length}, 0, 3:\n${node.log().slice(-1500)}`)
  }
  const w = (await workers(gpu))[0]
  if (!w.capabilities.webgpu.available || !w.loaded.some((k) => k.endsWith(' webgpu'))) fail(`the webgpu worker: ${JSON.stringify(w)}`)
}

cases.a_tampered_block_is_refused_by_the_page = async (ctx) => {
  // An honest node serves the blocks; a lying gateway in front of it flips a byte of every leaf.
  const honest = await serve('honest', ctx.other)
  const liar = spawn('node', [path.join(SRC, 'tests/browser/tamper_gateway.mjs'), '--upstream', honest.url, '--tamper-all-leaves'], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(liar)
  const port = await new Promise((resolve) => liar.stdout.on('data', (d) => { const m = String(d).match(/listening (\d+)/); if (m) resolve(m[1]) }))
  const node = await serve('tampered', ctx.store, ['--set', `browser.gateway=http://127.0.0.1:${port}`], ['--backends', 'wasm'])
  chromium(node.url, 'tampered')
  await waitFor('the worker', async () => (await workers(node)).length === 1)
  compare(await infer(node, 'resnet50_test'), ctx.want.resnet50_test, 1e-5, 'resnet50_test answered by the CPU')
  const refused = await metric(node, 'ia_browser_failures_total', 'reason="verify"')
  const fallbacks = await metric(node, 'ia_backend_fallbacks_total')
  if (refused !== 1 || fallbacks !== 1) fail(`${refused} verify failures, ${fallbacks} fallbacks; expected 1 and 1`)
  if (!/does not match its CID/.test(node.log())) fail(`the log does not say why: ${node.log().slice(-1500)}`)
}

cases.a_browser_killed_mid_run_leaves_the_request_to_the_cpu = async (ctx) => {
  const node = await serve('killed', ctx.store, [], ['--hardware', 'webgpu'])
  const browser = chromium(node.url, 'doomed')
  await waitFor('the worker', async () => (await workers(node)).length === 1)
  const answer = infer(node, 'resnet50_test')
  // The first WebGPU run compiles its shaders in software: seconds. Kill it during that run.
  await waitFor('the run to start', async () => {
    const w = (await workers(node))[0]
    return w && w.in_flight === 1 && w.loaded.length === 1
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  process.kill(-browser.pid, 'SIGKILL')
  compare(await answer, ctx.want.resnet50_test, 1e-5, 'resnet50_test after the kill')
  const fallbacks = await metric(node, 'ia_backend_fallbacks_total')
  const gone = await metric(node, 'ia_browser_failures_total', 'reason="gone"')
  if (fallbacks !== 1 || gone !== 1) fail(`${fallbacks} fallbacks and ${gone} "gone" failures; expected 1 and 1:\n${node.log().slice(-1500)}`)
  if ((await metric(node, 'ia_browser_workers')) !== 0) fail('the killed worker is still listed')
}

cases.hw_reports_webgpu_and_webnn_from_a_real_probe = async (ctx) => {
  const r = spawnSync(BIN, ['--repo', path.join(T, 'hw'), 'hw', '--json'], { encoding: 'utf8' })
  if (r.status !== 0) fail(`hw failed: ${r.stderr}`)
  const hw = JSON.parse(r.stdout)
  if (!/SwiftShader|software fallback/i.test(hw.webgpu.reason) || hw.webgpu.is_fallback_adapter !== true) fail(`webgpu: ${JSON.stringify(hw.webgpu)}`)
  if (hw.webnn.available || !/createContext|NotSupported/.test(hw.webnn.reason)) fail(`webnn: ${JSON.stringify(hw.webnn)}`)
  console.log(`    webgpu: ${hw.webgpu.reason}\n    webnn: ${hw.webnn.reason.slice(0, 120)}`)
}

// A page of our own making, speaking the protocol as `behave` says: behave(kind, message, ws)
// answers each server message.
function fakePage (node, hello, behave) {
  const ws = new WebSocket(node.url.replace('http', 'ws') + '/browser/ws')
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  ws.on('open', () => ws.send(JSON.stringify(hello)))
  ws.on('message', (data, binary) => {
    if (binary) {
      const f = decodeFrame(new Uint8Array(data))
      behave(f.header.type, f, ws)
    } else {
      const m = JSON.parse(String(data))
      behave(m.type, m, ws)
    }
  })
  return { ws, closed }
}
const HELLO = { type: 'hello', protocol: 1, name: 'fake', user_agent: 'test', capabilities: { eps: ['wasm'], wasm: { available: true } } }
const loads = (then) => (type, m, ws) => {
  if (type === 'load') ws.send(JSON.stringify({ type: 'loaded', id: m.id, cid: m.cid, ep: m.ep, bytes: 1, blocks: 1 }))
  if (type === 'run') then(m, ws)
}

cases.bad_pages_get_clear_errors_and_the_server_keeps_serving = async (ctx) => {
  const node = await serve('bad', ctx.store, ['--set', 'browser.run_timeout_s=2'], ['--backends', 'wasm'])
  // Another protocol version: closed with the reason.
  const old = fakePage(node, { ...HELLO, protocol: 2 }, () => {})
  let c = await old.closed
  if (c.code !== 1008 || !/protocol/.test(c.reason)) fail(`protocol 2: closed ${c.code} ${c.reason}`)

  const bad = [
    ['malformed', 'not a frame', (m, ws) => ws.send(Buffer.from('XXXXnot a frame')), /does not start with/],
    ['malformed', 'a result of the wrong size', (m, ws) => {
      const f = encodeFrame({ type: 'result', id: m.header.id }, [{ name: 'logits', dtype: 'float32', shape: [1, 10], data: new Float32Array(10) }])
      const header = JSON.parse(new TextDecoder().decode(f.subarray(8, 8 + new DataView(f.buffer).getUint32(4, true))))
      header.tensors[0].shape = [1, 1000] // claims more than it sends
      ws.send(encodeRaw(header, f.subarray(f.length - 40)))
    }, /needs 4000 bytes/],
    ['timeout', 'a run never answered', () => {}, /did not answer/],
  ]
  for (const [reason, what, onRun, expect] of bad) {
    const before = await metric(node, 'ia_browser_failures_total', `reason="${reason}"`)
    const page = fakePage(node, HELLO, loads(onRun))
    await waitFor('the fake worker', async () => (await workers(node)).length === 1)
    compare(await infer(node, 'resnet50_test'), ctx.want.resnet50_test, 1e-5, `after ${what}`)
    c = await page.closed
    if (c.code !== 1008 || !expect.test(c.reason)) fail(`${what}: closed ${c.code} "${c.reason}"`)
    if ((await metric(node, 'ia_browser_failures_total', `reason="${reason}"`)) !== before + 1) fail(`${what}: not counted as ${reason}`)
    await waitFor('the worker to go', async () => (await workers(node)).length === 0)
  }
  // It claims wasm and cannot create a session: the CPU answers, and it gets no more work on wasm.
  const liar = fakePage(node, HELLO, (type, m, ws) => {
    if (type === 'load') ws.send(JSON.stringify({ type: 'error', id: m.id, code: 'session', message: 'no backend found for wasm' }))
  })
  await waitFor('the lying worker', async () => (await workers(node)).length === 1)
  compare(await infer(node, 'bert_test'), ctx.want.bert_test, 1e-5, 'bert_test past a lying worker')
  const w = (await workers(node))[0]
  if (w.eps.includes('wasm') || !/no backend found/.test(w.lacking.join())) fail(`the lying worker: ${JSON.stringify(w)}`)
  compare(await infer(node, 'bert_test'), ctx.want.bert_test, 1e-5, 'bert_test with no worker for wasm')
  if ((await metric(node, 'ia_browser_failures_total', 'reason="no_worker"')) < 1) fail('no_worker not counted')
  liar.ws.close()
  if ((await get(`${node.url}/v2/health/live`)).status !== 200) fail('the server stopped serving')
  if ((await metric(node, 'ia_backend_fallbacks_total')) !== 5) fail(`fallbacks: ${await metric(node, 'ia_backend_fallbacks_total')}, expected 5`)
}

cases.with_keys_a_page_attaches_only_with_its_key = async (ctx) => {
  const keys = path.join(T, 'keys')
  fs.writeFileSync(keys, 'browser-key-0123456789abcdef\n')
  const node = await serve('keyed', ctx.store, [], ['--backends', 'wasm', '--api-key-file', keys])
  const upgrade = (query) => new Promise((resolve) => {
    const ws = new WebSocket(node.url.replace('http', 'ws') + '/browser/ws' + query)
    ws.on('open', () => { ws.close(); resolve(101) })
    ws.on('unexpected-response', (req, res) => resolve(res.statusCode))
    ws.on('error', () => resolve(-1))
  })
  if ((await upgrade('')) !== 401 || (await upgrade('?key=wrong-key-0123456789abcdef')) !== 401) fail('the WebSocket opened without the key')
  if ((await upgrade('?key=browser-key-0123456789abcdef')) !== 101) fail('the WebSocket refused the key')
  if ((await get(`${node.url}/browser/workers`)).status !== 401) fail('/browser/workers is open without the key')
  if ((await get(`${node.url}/browser/`)).status !== 200) fail('the page itself needs no key')
}

// A frame from a header and a payload as given (no checks: for lying pages).
function encodeRaw (header, payload) {
  const h = new TextEncoder().encode(JSON.stringify(header))
  const start = (8 + h.length + 7) & ~7
  const f = new Uint8Array(start + payload.length)
  f.set([73, 65, 84, 49])
  new DataView(f.buffer).setUint32(4, h.length, true)
  f.set(h, 8)
  f.set(payload, start)
  return f
}

const ctx = { store: makeRepo('repo'), other: makeRepo('repo2') }
// The CPU's answers, the reference.
const cpu = await serve('cpu', ctx.store)
ctx.want = {}
for (const m of MODEL_NAMES) ctx.want[m] = await infer(cpu, m)
const only = process.argv[2]
for (const [name, run] of Object.entries(cases)) {
  if (only && name !== only) continue
  const t0 = Date.now()
  console.log(`case ${name}`)
  await run(ctx)
  console.log(`  ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}
cleanup()
