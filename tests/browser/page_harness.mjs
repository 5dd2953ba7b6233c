// End-to-end check of the browser worker page (web/) without the C++ node: this script plays the
// node. It serves web/ at /browser/ and onnxruntime-web's dist at /browser/ort/ (cross-origin
// isolated), a trustless gateway at /ipfs/ over the blocks of MODEL (imported with the reference
// importer), and the server side of web/PROTOCOL.md at /browser/ws; tests/browser/tamper_gateway.mjs
// in front of that gateway, on another origin, lies about every raw leaf. It opens the page in headless Chromium (playwright-core), then drives it: errors,
// fetch (verified or not), a tampered load, load, run, bench, unload, reload from the cache,
// reconnection, a 1008 refusal, and a page that is not a secure context. Outputs are compared with onnxruntime-node on the same inputs.
//
//   node tests/browser/page_harness.mjs MODEL.onnx --ep wasm|webgpu --input NAME=D1,D2,...[:DTYPE[:LO-HI]] ...
//        [--chunk BYTES] [--threads N] [--browser-arg ARG]... [--timeout S] [--screenshot PNG]
//        [--expect-run-error REGEX]   (runs must fail with code "run" and this message instead)
//
// Inputs are random (seeded): float32 in [-1, 1), integers in [LO, HI] (default 0-99).
// Prints one JSON line per step; exits 1 when a check fails or an output differs from
// onnxruntime-node by more than 1e-4 (wasm) or 1e-3 (webgpu) relative to the output's scale.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { npmRequire, REPO, NPM_MODULES } from './npm.mjs'
import { encodeFrame, decodeFrame, DTYPES } from '../../web/frames.js'
import { decodeDagPb } from '../../web/unixfs.js'

const { importer } = npmRequire('ipfs-unixfs-importer')
const { fixedSize } = npmRequire('ipfs-unixfs-importer/chunker')
const { balanced } = npmRequire('ipfs-unixfs-importer/layout')
const { MemoryBlockstore } = npmRequire('blockstore-core/memory')
const { CID } = npmRequire('multiformats/cid')
const { WebSocketServer } = npmRequire('ws')
const { chromium } = npmRequire('playwright-core')
const ortNode = npmRequire('onnxruntime-node')

const WEB_DIR = path.join(REPO, 'web')
const ORT_DIST = path.join(NPM_MODULES, 'onnxruntime-web', 'dist')
const KEY = 'harness-key'
const BROWSER_ARGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP insecure.test 127.0.0.1'] // for the insecure-context check

// ---- arguments ----------------------------------------------------------------------------------

function parseArgs (argv) {
  const opts = { model: '', ep: 'wasm', inputs: [], chunk: 64 * 1024, threads: 0, browserArgs: [], timeout: 600 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--ep') opts.ep = value()
    else if (a === '--input') opts.inputs.push(parseInput(value()))
    else if (a === '--chunk') opts.chunk = Number(value())
    else if (a === '--threads') opts.threads = Number(value())
    else if (a === '--browser-arg') opts.browserArgs.push(value())
    else if (a === '--timeout') opts.timeout = Number(value())
    else if (a === '--screenshot') opts.screenshot = value()
    else if (a === '--expect-run-error') opts.expectRunError = value()
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else opts.model = a
  }
  if (!opts.model) throw new Error('usage: page_harness.mjs MODEL.onnx --ep wasm|webgpu --input NAME=D1,D2[:DTYPE[:LO-HI]] ...')
  if (!['wasm', 'webgpu'].includes(opts.ep)) throw new Error('--ep is wasm or webgpu')
  if (!opts.inputs.length) throw new Error('give the model\'s inputs with --input NAME=D1,D2,...')
  return opts
}

function parseInput (spec) {
  const m = /^([^=]+)=([0-9,]+)(?::(\w+))?(?::(-?\d+)-(-?\d+))?$/.exec(spec)
  if (!m) throw new Error(`--input ${spec}: expected NAME=D1,D2,...[:DTYPE[:LO-HI]]`)
  const dtype = m[3] ?? 'float32'
  if (!DTYPES[dtype]) throw new Error(`--input ${spec}: unknown dtype ${dtype}`)
  return { name: m[1], shape: m[2].split(',').map(Number), dtype, lo: Number(m[4] ?? 0), hi: Number(m[5] ?? 99) }
}

// Seeded random inputs (xorshift32), so that a failure reproduces.
function makeInputs (specs) {
  let x = 0x2545f491
  const next = () => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x / 2 ** 32
  }
  return specs.map(({ name, shape, dtype, lo, hi }) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const data = new DTYPES[dtype].array(n)
    for (let i = 0; i < n; i++) {
      if (dtype === 'float32' || dtype === 'float64') data[i] = next() * 2 - 1
      else if (dtype === 'float16') data[i] = floatToHalf(next() * 2 - 1)
      else if (dtype === 'int64' || dtype === 'uint64') data[i] = BigInt(lo + Math.floor(next() * (hi - lo + 1)))
      else data[i] = lo + Math.floor(next() * (hi - lo + 1))
    }
    return { name, dtype, shape, data }
  })
}

// IEEE half-precision bits <-> numbers (node 20 has no Float16Array).
function floatToHalf (f) {
  const view = new DataView(new ArrayBuffer(4))
  view.setFloat32(0, f)
  const x = view.getUint32(0)
  const sign = (x >>> 16) & 0x8000
  const exp = ((x >>> 23) & 0xff) - 127 + 15
  if (exp <= 0) return sign // tiny values flush to zero: enough for test inputs
  if (exp >= 31) return sign | 0x7c00
  return sign | (exp << 10) | ((x >>> 13) & 0x3ff)
}
function halfToFloat (h) {
  const exp = (h >>> 10) & 0x1f
  const frac = h & 0x3ff
  const value = exp === 0 ? frac * 2 ** -24 : exp === 31 ? (frac ? NaN : Infinity) : (1 + frac / 1024) * 2 ** (exp - 15)
  return h & 0x8000 ? -value : value
}

// ---- the model's blocks -------------------------------------------------------------------------

async function importModel (file, chunk) {
  const blockstore = new MemoryBlockstore()
  let root
  const content = fs.createReadStream(file, { highWaterMark: 1 << 20 })
  const options = { cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: chunk }), layout: balanced({ maxChildrenPerNode: 8 }) }
  for await (const entry of importer([{ path: path.basename(file), content }], blockstore, options)) root = entry.cid
  // File each block under the CID string its parent names (the MemoryBlockstore keys by multihash).
  const blocks = new Map()
  let depth = 0
  const walk = (cid, level) => {
    depth = Math.max(depth, level)
    const bytes = Buffer.concat([...blockstore.get(cid)])
    blocks.set(cid.toString(), { bytes })
    if (cid.code === 0x70) for (const link of decodeDagPb(bytes).links) walk(CID.decode(link.hash), level + 1)
  }
  walk(root, 0)
  return { root: root.toString(), blocks, depth }
}

// ---- HTTP: the page, onnxruntime-web, the gateways ------------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json'
}

function startHttp (dag) {
  const stats = { ipfs: 0, files: new Set() }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    // What our node sends: cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer,
    // hence wasm threads; CORP lets its own resources load under COEP.
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store'
    }
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': body.length })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const sendFile = (file) => {
      stats.files.add(url.pathname)
      send(200, fs.readFileSync(file), TYPES[path.extname(file)] ?? 'application/octet-stream')
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET only')
    if (url.pathname === '/browser') {
      res.writeHead(301, { ...headers, Location: '/browser/' + url.search })
      return res.end()
    }
    let m
    if (url.pathname === '/browser/') return sendFile(path.join(WEB_DIR, 'index.html'))
    if ((m = /^\/browser\/ort\/([\w.-]+)$/.exec(url.pathname)) && fs.existsSync(path.join(ORT_DIST, m[1]))) {
      return sendFile(path.join(ORT_DIST, m[1]))
    }
    if ((m = /^\/browser\/([\w-]+\.(?:js|html|md))$/.exec(url.pathname)) && fs.existsSync(path.join(WEB_DIR, m[1]))) {
      return sendFile(path.join(WEB_DIR, m[1]))
    }
    // Trustless gateway: /ipfs/CID?format=raw.
    if ((m = /^\/ipfs\/([a-zA-Z0-9]+)$/.exec(url.pathname))) {
      stats.ipfs++
      if (url.searchParams.get('format') !== 'raw') return send(400, 'only ?format=raw')
      const block = dag.blocks.get(m[1])
      if (!block) return send(404, `no block ${m[1]}`)
      return send(200, block.bytes, 'application/vnd.ipld.raw')
    }
    send(404, `not found: ${url.pathname}`)
  })
  return { server, stats }
}

// ---- the node's side of the protocol ------------------------------------------------------------

class NodeSide {
  constructor (server) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 30 })
    this.connections = 0
    this.conn = null
    this.nextId = 1
    this.pending = new Map()
    this.zeroErrors = [] // errors with id 0, and whoever waits for one
    this.zeroWaiters = []
    this.helloWaiters = []
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url, 'http://127.0.0.1')
      if (url.pathname !== '/browser/ws') return socket.destroy()
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url))
    })
  }

  accept (ws, url) {
    this.connections++
    // A wrong key is refused with close code 1008 after the handshake: a refused HTTP upgrade
    // reaches the page only as an anonymous 1006, and the page would keep retrying.
    if (url.searchParams.get('key') !== KEY) return ws.close(1008, 'wrong API key')
    const conn = { ws, hello: null, worker: `w${this.connections}` }
    this.conn = conn
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary))
    ws.on('close', () => { if (this.conn === conn) this.conn = null })
  }

  onMessage (conn, data, isBinary) {
    let msg
    if (isBinary) {
      const frame = decodeFrame(data) // a malformed frame from the page is a failure of the page
      msg = { ...frame.header, tensors: frame.tensors }
    } else {
      msg = JSON.parse(data.toString())
    }
    if (msg.type === 'hello') {
      conn.hello = msg
      conn.ws.send(JSON.stringify({ type: 'welcome', worker: conn.worker, protocol: 1 }))
      for (const w of this.helloWaiters.splice(0)) w(msg)
      return
    }
    const waiter = this.pending.get(msg.id)
    if (waiter) {
      this.pending.delete(msg.id)
      return waiter(msg)
    }
    if (msg.type === 'error' && msg.id === 0) {
      const w = this.zeroWaiters.shift()
      return w ? w(msg) : this.zeroErrors.push(msg)
    }
    console.error('unexpected message from the page:', json(msg).slice(0, 300))
  }

  waitHello (ms) {
    return timeout(new Promise((resolve) => this.helloWaiters.push(resolve)), ms, 'hello')
  }

  nextZeroError (ms) {
    if (this.zeroErrors.length) return Promise.resolve(this.zeroErrors.shift())
    return timeout(new Promise((resolve) => this.zeroWaiters.push(resolve)), ms, 'an error with id 0')
  }

  // Sends a JSON request (or a frame when tensors are given) and waits for the answer to its id.
  request (msg, tensors = null, ms = 300000) {
    const id = msg.id ?? this.nextId++
    const answer = new Promise((resolve) => this.pending.set(id, resolve))
    if (tensors) this.conn.ws.send(encodeFrame({ ...msg, id }, tensors))
    else this.conn.ws.send(JSON.stringify({ ...msg, id }))
    return timeout(answer, ms, `the answer to ${msg.type} ${id}`)
  }

  sendRaw (data) {
    this.conn.ws.send(data)
  }
}

function timeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms) })
  ])
}

// tests/browser/tamper_gateway.mjs in front of our gateway, flipping a byte of every raw leaf.
async function startTamperGateway (upstream, cleanups) {
  const child = spawn(process.execPath, [path.join(REPO, 'tests/browser/tamper_gateway.mjs'), '--upstream', upstream, '--tamper-all-leaves'],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  cleanups.push(() => child.kill('SIGTERM'))
  const port = await timeout(new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(/^listening (\d+)$/m.exec(String(d))?.[1]))
    child.once('exit', (code) => reject(new Error(`tamper_gateway.mjs exited with ${code}`)))
  }), 10000, 'listening line from tamper_gateway.mjs')
  return `http://127.0.0.1:${port}`
}

const sameBytes = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// JSON for the log: BigInts as strings, typed arrays summarized.
const json = (x) => JSON.stringify(x, (k, v) => typeof v === 'bigint' ? String(v)
  : ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : v)
const print = (step, data) => console.log(json({ step, ...data }))

// ---- comparison ---------------------------------------------------------------------------------

function compare (name, got, want) {
  assert.deepEqual(got.shape, [...want.dims], `${name}: shape`)
  assert.equal(got.dtype, want.type, `${name}: dtype`)
  const numbers = (data) => got.dtype === 'float16' && data instanceof Uint16Array ? Array.from(data, halfToFloat) : Array.from(data, Number)
  const a = numbers(got.data)
  const b = numbers(want.data)
  let maxAbs = 0
  let scale = 0
  for (let i = 0; i < b.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) maxAbs = Infinity
  }
  return { name, max_abs_diff: maxAbs, max_abs_ref: scale, relative: maxAbs / Math.max(scale, 1e-6) }
}

// ---- the run ------------------------------------------------------------------------------------

async function main (opts) {
  const inputs = makeInputs(opts.inputs)
  const modelBytes = fs.readFileSync(opts.model)
  const dag = await importModel(opts.model, opts.chunk)
  print('import', { model: opts.model, bytes: modelBytes.length, cid: dag.root, blocks: dag.blocks.size, depth: dag.depth })

  const { server, stats } = startHttp(dag)
  const node = new NodeSide(server)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${server.address().port}`

  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-page-harness-'))
  const args = [...BROWSER_ARGS, ...(opts.ep === 'webgpu' ? ['--enable-unsafe-webgpu'] : []), ...opts.browserArgs]
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args })
  const page = context.pages()[0] ?? await context.newPage()
  page.on('console', (m) => console.error(`[page ${m.type()}] ${m.text()}`))
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`))

  const failures = []
  const cleanups = []
  const check = (ok, what) => { if (!ok) failures.push(what) }
  const expectError = (msg, code, pattern, what) => {
    const ok = msg.type === 'error' && msg.code === code && pattern.test(msg.message)
    check(ok, `${what}: got ${json(msg).slice(0, 300)}`)
    print(what, { ok, code: msg.code, message: msg.message })
  }

  try {
    // Hello.
    const hello = node.waitHello(60000)
    const pageUrl = `${origin}/browser?name=harness&eps=${opts.ep}${opts.threads ? `&threads=${opts.threads}` : ''}#key=${KEY}`
    await page.goto(pageUrl)
    const h = await hello
    print('hello', { protocol: h.protocol, name: h.name, user_agent: h.user_agent, capabilities: h.capabilities })
    check(h.protocol === 1 && h.name === 'harness', 'hello: protocol 1 and the ?name')
    check(h.capabilities.wasm.cross_origin_isolated && h.capabilities.wasm.threads && h.capabilities.wasm.simd, 'hello: isolated, threads, SIMD')
    check(JSON.stringify(h.capabilities.eps) === JSON.stringify([opts.ep]), `hello: eps ${JSON.stringify(h.capabilities.eps)}, ${opts.ep} wanted`)
    if (h.capabilities.eps[0] !== opts.ep) throw new Error(`the page does not offer ${opts.ep}: ${JSON.stringify(h.capabilities)}`)

    // Errors that must not hurt the page.
    const tensors = inputs
    expectError(await node.request({ type: 'teleport', cid: dag.root }), 'unsupported', /unknown message type "teleport"/, 'error: unknown type')
    expectError(await node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: [] }), 'frame', /must come as a binary frame/, 'error: run as text')
    expectError(await node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: [] }, tensors), 'run', /is not loaded/, 'error: run before load')
    expectError(await node.request({ type: 'load', cid: dag.root, ep: 'webnn', gateway: '' }), 'unsupported', /does not offer webnn/, 'error: ep not offered')
    expectError(await node.request({ type: 'load', cid: 'zdpuNotACid', ep: opts.ep, gateway: '' }), 'unsupported', /only CIDv1 in base32/, 'error: bad CID')
    node.sendRaw(JSON.stringify({ type: 'load', cid: dag.root, ep: opts.ep }))
    expectError(await node.nextZeroError(10000), 'frame', /load: "id" is not a non-negative integer/, 'error: load without an id')
    node.sendRaw('{not json')
    expectError(await node.nextZeroError(10000), 'frame', /not JSON/, 'error: text that is not JSON')
    node.sendRaw(Buffer.from('IAT2\x00\x00\x00\x00'))
    expectError(await node.nextZeroError(10000), 'frame', /does not start with "IAT1"/, 'error: bad magic')
    // A frame whose tensor claims 9 bytes for two float32: the page must answer with its id.
    const header = new TextEncoder().encode(JSON.stringify({
      type: 'run', id: 4242, cid: dag.root, ep: opts.ep, tensors: [{ name: 'x', dtype: 'float32', shape: [2], offset: 0, bytes: 9 }]
    }))
    const broken = new Uint8Array(Math.ceil((8 + header.length) / 8) * 8 + 16)
    broken.set(new TextEncoder().encode('IAT1'))
    new DataView(broken.buffer).setUint32(4, header.length, true)
    broken.set(header, 8)
    const waitBad = new Promise((resolve) => node.pending.set(4242, resolve))
    node.sendRaw(broken)
    expectError(await timeout(waitBad, 10000, 'error 4242'), 'frame', /bytes 9 is not 2 float32 elements/, 'error: malformed tensor (answered with the frame\'s id)')

    // Benchmark fetches: unverified through the tampering gateway (another origin) is accepted...
    const tamperGw = await startTamperGateway(origin, cleanups)
    const f0 = await node.request({ type: 'fetch', cid: dag.root, gateway: tamperGw, verify: false })
    print('fetch: tampered, verify false', f0)
    check(f0.type === 'fetched' && f0.bytes === modelBytes.length && f0.verified === false, 'fetch verify:false through the tampering gateway')
    // ...a verified load through it is refused, naming a block.
    const bad1 = await node.request({ type: 'load', cid: dag.root, ep: opts.ep, gateway: tamperGw })
    expectError(bad1, 'verify', /^block bafkrei\w+ does not match its CID \(sha2-256 .*\): refused$/, 'load: tampered gateway refused')

    // Verified and unverified fetch timings from the honest gateway (page origin: gateway '').
    for (const verify of [true, false]) {
      const f = await node.request({ type: 'fetch', cid: dag.root, gateway: '', verify })
      print(`fetch: verify ${verify}`, f)
      check(f.type === 'fetched' && f.bytes === modelBytes.length && f.blocks === dag.blocks.size && f.verified === verify, `fetch verify ${verify}`)
    }

    // Load.
    const ipfsBefore = stats.ipfs
    const loaded = await node.request({ type: 'load', cid: dag.root, ep: opts.ep, gateway: '' })
    print('load', { ...loaded, gateway_requests: stats.ipfs - ipfsBefore })
    check(loaded.type === 'loaded' && loaded.cached === false && loaded.bytes === modelBytes.length && loaded.blocks === dag.blocks.size, 'load')
    if (loaded.type !== 'loaded') throw new Error(`load failed: ${loaded.message}`)

    let result = null
    if (opts.expectRunError) {
      // A model this EP is known to get wrong here: the page must say so, not answer garbage.
      expectError(await node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: [] }, inputs), 'run',
        new RegExp(opts.expectRunError), 'run: the expected error')
    } else {
      // Run, and compare with onnxruntime-node.
      const ref = await ortNode.InferenceSession.create(opts.model)
      const feeds = Object.fromEntries(inputs.map((t) => [t.name, new ortNode.Tensor(t.dtype, t.data, t.shape)]))
      const want = await ref.run(feeds)
      result = await node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: [] }, inputs)
      check(result.type === 'result', `run: ${json(result).slice(0, 300)}`)
      if (result.type !== 'result') throw new Error(`run failed: ${result.message}`)
      const limit = opts.ep === 'wasm' ? 1e-4 : 1e-3
      const diffs = result.tensors.map((t) => compare(t.name, t, want[t.name]))
      print('run', {
        run_ms: result.run_ms,
        outputs: result.tensors.map((t) => ({
          name: t.name, dtype: t.dtype, shape: t.shape, first: Array.from(t.data.slice(0, 5), t.dtype === 'float16' ? halfToFloat : Number)
        })),
        vs_onnxruntime_node: diffs,
        limit_relative: limit
      })
      check(JSON.stringify(result.tensors.map((t) => t.name)) === JSON.stringify(loaded.outputs), 'run: all outputs, in order')
      for (const d of diffs) check(d.relative <= limit, `${d.name}: relative difference ${d.relative} over ${limit}`)

      // Three runs at once: the page queues them; each gets its own, identical, answer.
      const together = await Promise.all([1, 2, 3].map(() => node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: [] }, inputs)))
      check(together.every((r) => r.type === 'result' && r.tensors.every((t, i) => sameBytes(t.data, result.tensors[i].data))), 'three runs at once')

      // One output by name.
      const one = await node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: [loaded.outputs.at(-1)] }, inputs)
      check(one.type === 'result' && one.tensors.length === 1 && one.tensors[0].name === loaded.outputs.at(-1), 'run: one named output')
      expectError(await node.request({ type: 'run', cid: dag.root, ep: opts.ep, outputs: ['nope'] }, inputs), 'run', /no output named nope/, 'error: unknown output')

      // Bench.
      const bench = await node.request({ type: 'bench', cid: dag.root, ep: opts.ep, runs: 5 }, inputs)
      print('bench', bench)
      check(bench.type === 'bench_result' && bench.times_ms.length === 5 && bench.times_ms.every((t) => t > 0), 'bench')
    }
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true })

    // Unload, then load again: from Cache Storage, no block fetched.
    node.sendRaw(JSON.stringify({ type: 'unload', cid: dag.root, ep: opts.ep }))
    expectError(await node.request({ type: 'run', cid: dag.root, ep: opts.ep }, inputs), 'run', /is not loaded/, 'unload: the session is gone')
    const before = stats.ipfs
    const again = await node.request({ type: 'load', cid: dag.root, ep: opts.ep, gateway: '' })
    print('load again (cache)', { ...again, gateway_requests: stats.ipfs - before })
    check(again.type === 'loaded' && again.cached === true && stats.ipfs === before && again.blocks === dag.blocks.size, 'load again from Cache Storage')
    const rerun = await node.request({ type: 'run', cid: dag.root, ep: opts.ep }, inputs)
    if (result) check(rerun.type === 'result' && rerun.tensors.every((t, i) => sameBytes(t.data, result.tensors[i].data)), 'run after reload: same bytes')
    else check(rerun.type === 'error' && new RegExp(opts.expectRunError).test(rerun.message), 'run after reload: the expected error again')

    // The node goes away: the page reconnects, says hello again, and its models are gone with the
    // old connection.
    const rehello = node.waitHello(30000)
    const t0 = Date.now()
    node.conn.ws.terminate()
    const h2 = await rehello
    print('reconnect', { ms: Date.now() - t0, eps: h2.capabilities.eps })
    expectError(await node.request({ type: 'run', cid: dag.root, ep: opts.ep }, inputs), 'run', /is not loaded/, 'reconnect: sessions released with the old connection')

    // A 1008 close: the page stops and says why.
    const connections = node.connections
    node.conn.ws.close(1008, 'harness: refused on purpose')
    await sleep(4000)
    const status = await page.textContent('#status')
    print('1008', { status, new_connections: node.connections - connections })
    check(node.connections === connections && /refused by the node: harness: refused on purpose/.test(status), 'no reconnection after 1008')

    // Not a secure context (plain http to a name other than localhost, mapped to 127.0.0.1 by
    // --host-resolver-rules): no WebCrypto, so a load must fail saying why, while the unverified
    // benchmark fetch still works.
    const insecure = await context.newPage()
    insecure.on('console', (m) => console.error(`[insecure page ${m.type()}] ${m.text()}`))
    const hello3 = node.waitHello(60000)
    await insecure.goto(`http://insecure.test:${server.address().port}/browser/?name=insecure&eps=wasm#key=${KEY}`)
    const h3 = await hello3
    print('insecure page: hello', { capabilities: h3.capabilities })
    check(h3.capabilities.wasm.cross_origin_isolated === false && h3.capabilities.wasm.threads === false && !h3.capabilities.webgpu.available,
      'insecure page: not isolated, no threads, no WebGPU')
    expectError(await node.request({ type: 'load', cid: dag.root, ep: 'wasm', gateway: '' }), 'unsupported',
      /secure context: open this page over https, or from localhost/, 'insecure page: load refused')
    const f3 = await node.request({ type: 'fetch', cid: dag.root, gateway: '', verify: false })
    print('insecure page: fetch, verify false', f3)
    check(f3.type === 'fetched' && f3.verified === false && f3.bytes === modelBytes.length, 'insecure page: unverified fetch')

    print('served', { files: [...stats.files].sort() })
  } catch (e) {
    failures.push(`aborted: ${e.stack ?? e}`)
  } finally {
    for (const c of cleanups) c()
    await context.close().catch(() => {})
    fs.rmSync(userDataDir, { recursive: true, force: true })
    node.wss.close()
    server.close()
  }
  if (failures.length) {
    console.log(JSON.stringify({ step: 'FAILED', failures }))
    return 1
  }
  console.log(JSON.stringify({ step: 'PASSED' }))
  return 0
}

let opts
try {
  opts = parseArgs(process.argv.slice(2))
} catch (e) {
  console.error(e.message)
  process.exit(2)
}
// A hung browser must not hang the test.
setTimeout(() => {
  console.log(JSON.stringify({ step: 'FAILED', failures: [`timed out after ${opts.timeout} s`] }))
  process.exit(1)
}, opts.timeout * 1000).unref()

main(opts).then((code) => process.exit(code), (e) => {
  console.error(e.stack ?? e)
  process.exit(2)
})
