// The browser worker page: connects to its ipfs-accelerate node over a WebSocket, says what this
// browser can do, and loads and runs ONNX models by CID with onnxruntime-web when the node asks.
// The contract is web/PROTOCOL.md.
//
// Settings come from the page's URL:
//   #key=KEY        the node's API key. In the fragment so that it never reaches a server in a
//                   request line or a Referer; it goes only into the WebSocket URL as ?key=.
//   ?eps=wasm,webgpu  offer only these execution providers (default: all this browser has)
//   ?name=NAME      the name this worker gives in its hello
//   ?threads=N      wasm threads (default: onnxruntime-web's choice, when cross-origin isolated)
import { fetchFile } from './unixfs.js'
import { encodeFrame, decodeFrame, DTYPES } from './frames.js'

const PROTOCOL = 1
const ALL_EPS = ['webgpu', 'webnn', 'wasm']
const ERROR_CODES = ['verify', 'fetch', 'session', 'run', 'frame', 'unsupported']
// onnxruntime-web's bundle with the webgpu (JSEP), webnn and wasm backends and without webgl. It
// loads ort-wasm-simd-threaded.jsep.mjs and .wasm from ort.env.wasm.wasmPaths, set below to our
// own /browser/ort/: nothing comes from a CDN. Resolved against this module, not the page, so
// that /browser (no slash) cannot send it to /ort/.
const ORT_DIR = new URL('./ort/', import.meta.url)
const ORT_MODULE = new URL('ort.min.mjs', ORT_DIR)
const PROBE_TIMEOUT_MS = 10000
const MAX_BENCH_RUNS = 10000

// ---- settings -----------------------------------------------------------------------------------

const query = new URLSearchParams(location.search)
const fragment = new URLSearchParams(location.hash.slice(1))
const settings = {
  key: fragment.get('key') || '',
  name: query.get('name') || '',
  eps: query.has('eps') ? query.get('eps').split(',').map((s) => s.trim()).filter(Boolean) : ALL_EPS,
  threads: query.has('threads') ? Number(query.get('threads')) : null
}

// ---- the page -----------------------------------------------------------------------------------

const MAX_LOG = 50
const $ = (id) => document.getElementById(id)

function show (id, text) {
  const el = $(id)
  if (el) el.textContent = text
}

// A short log of the latest events, newest first. textContent only: messages may quote what the
// server or a gateway sent.
function log (text, level = 'info') {
  const line = `${new Date().toISOString().slice(11, 23)} ${text}`
  ;(level === 'error' ? console.warn : console.log)(`[ia-worker] ${line}`)
  const list = $('log')
  if (!list) return
  const item = document.createElement('li')
  item.className = level
  item.textContent = line
  list.prepend(item)
  while (list.children.length > MAX_LOG) list.lastElementChild.remove()
}

function setStatus (text, level = 'info') {
  show('status', text)
  const el = $('status')
  if (el) el.className = level
}

const formatBytes = (n) => n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`

function showModels (conn) {
  const list = $('models')
  if (!list) return
  list.replaceChildren()
  for (const m of conn?.sessions.values() ?? []) {
    const item = document.createElement('li')
    item.textContent = `${m.cid} on ${m.ep}: ${formatBytes(m.bytes)}, ${m.blocks} blocks` +
      `${m.cached ? ' (cached)' : ''}, runs ${m.runs}`
    list.append(item)
  }
  if (!list.children.length) list.textContent = 'none'
}

window.addEventListener('error', (e) => log(`page error: ${e.message}`, 'error'))
window.addEventListener('unhandledrejection', (e) => log(`unhandled: ${e.reason?.message ?? e.reason}`, 'error'))

// ---- capabilities ---------------------------------------------------------------------------------

// A promise that gives up after ms (a probe must never hang the page's hello).
const withTimeout = (promise, ms, what) => Promise.race([
  promise,
  new Promise((resolve, reject) => setTimeout(() => reject(new Error(`${what} gave no answer in ${ms} ms`)), ms))
])

async function probeWebGPU () {
  if (!('gpu' in navigator)) {
    return {
      available: false,
      reason: isSecureContext ? 'navigator.gpu is missing: this browser has no WebGPU, or it is disabled'
        : 'navigator.gpu is missing: WebGPU needs a secure context (https or localhost)'
    }
  }
  let adapter
  try {
    adapter = await withTimeout(navigator.gpu.requestAdapter(), PROBE_TIMEOUT_MS, 'navigator.gpu.requestAdapter()')
  } catch (e) {
    return { available: false, reason: `navigator.gpu.requestAdapter() failed: ${e.name}: ${e.message}` }
  }
  if (!adapter) {
    return { available: false, reason: 'navigator.gpu.requestAdapter() returned null: no usable GPU adapter (no driver, a blocklisted GPU, or no software fallback allowed)' }
  }
  const info = adapter.info ?? {}
  // isFallbackAdapter moved from the adapter to adapter.info; read either.
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter)
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ')
  let reason = ''
  if (/swiftshader/i.test(text)) reason = 'WebGPU adapter is SwiftShader, a software fallback'
  else if (fallback) reason = `WebGPU adapter is a fallback adapter (${text.trim() || 'no details'}), likely software`
  return {
    available: true,
    reason,
    // Without shader-f16, float16 tensors cannot be computed on this adapter (onnxruntime-web
    // still emits f16 shaders for them, which the device rejects).
    shader_f16: adapter.features.has('shader-f16'),
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      is_fallback_adapter: fallback
    },
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize
    },
    gpuAdapter: adapter // kept for onnxruntime-web, not sent
  }
}

async function probeWebNN () {
  const devices = { cpu: false, gpu: false, npu: false }
  if (!('ml' in navigator)) {
    return {
      available: false,
      reason: isSecureContext ? 'navigator.ml is missing: this browser has no WebNN, or it is disabled'
        : 'navigator.ml is missing: WebNN needs a secure context (https or localhost)',
      devices
    }
  }
  const reasons = []
  for (const deviceType of Object.keys(devices)) {
    try {
      const context = await withTimeout(navigator.ml.createContext({ deviceType }), PROBE_TIMEOUT_MS, `navigator.ml.createContext({deviceType: '${deviceType}'})`)
      devices[deviceType] = true
      context?.destroy?.()
    } catch (e) {
      reasons.push(`${deviceType}: ${e.name}: ${e.message}`)
    }
  }
  return { available: Object.values(devices).some(Boolean), reason: reasons.join('; '), devices }
}

// The smallest module that uses a SIMD instruction: (func (result v128) i32.const 0 i8x16.splat).
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b // code: i32.const 0, i8x16.splat, end
])

function probeWasm () {
  const available = typeof WebAssembly === 'object'
  return {
    available,
    simd: available && WebAssembly.validate(SIMD_PROBE),
    // Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages
    // (the node sends COOP: same-origin and COEP: require-corp).
    threads: globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function',
    cross_origin_isolated: globalThis.crossOriginIsolated === true,
    hardware_concurrency: navigator.hardwareConcurrency || 1
  }
}

// ---- onnxruntime-web ------------------------------------------------------------------------------

const state = {
  ort: null,
  ortError: '',
  capabilities: null,
  webnnDevice: 'cpu',
  worker: '',
  attempts: 0 // reconnections since the last welcome
}

async function loadOrt (wasm, webgpu) {
  try {
    state.ort = await import(ORT_MODULE.href)
  } catch (e) {
    state.ortError = `onnxruntime-web did not load from ${ORT_MODULE.href}: ${e.message}`
    log(state.ortError, 'error')
    return
  }
  const env = state.ort.env
  env.wasm.wasmPaths = ORT_DIR.href
  env.wasm.proxy = false // sessions run on this page's thread; webgpu cannot run in the proxy
  const threads = Number.isSafeInteger(settings.threads) && settings.threads > 0 ? settings.threads : 0
  env.wasm.numThreads = wasm.threads ? threads : 1 // 0: onnxruntime-web picks; 1: no workers
  env.logLevel = 'warning'
  if (webgpu.gpuAdapter) env.webgpu.adapter = webgpu.gpuAdapter // the adapter we probed and reported
}

// WebGPU faults that onnxruntime-web does not see: a shader the device rejects is only a
// validation error on the device (the run still "succeeds", with zeros), and a lost device kills
// every webgpu session. Count them, so that a run during which one happened fails instead.
const gpu = { device: null, errors: 0, recent: [], lost: '' } // recent: the last 20 [number, message]

async function watchGpuDevice () {
  const device = await state.ort.env.webgpu.device // the device onnxruntime-web computes on
  if (!device || gpu.device === device) return
  gpu.device = device
  device.addEventListener('uncapturederror', (event) => {
    const message = String(event.error?.message ?? event.error).split('\n')[0]
    gpu.recent.push([++gpu.errors, message])
    if (gpu.recent.length > 20) gpu.recent.shift()
    log(`WebGPU error: ${message}`, 'error')
  })
  device.lost.then((info) => {
    gpu.lost = `${info.reason}: ${info.message}`
    log(`WebGPU device lost: ${gpu.lost}`, 'error')
  })
}

// session.run, failing where the GPU reported an error meanwhile. Returns [results, ms].
async function runChecked (entry, feeds, names) {
  if (entry.ep === 'webgpu' && gpu.lost) throw new ProtocolError('run', `the WebGPU device was lost (${gpu.lost}): reload the page`)
  const before = gpu.errors
  const t0 = performance.now()
  const results = names ? await entry.session.run(feeds, names) : await entry.session.run(feeds)
  const ms = performance.now() - t0
  if (entry.ep === 'webgpu' && gpu.device) {
    await gpu.device.queue.onSubmittedWorkDone() // errors of this run's work are in by then
    if (gpu.lost) throw new ProtocolError('run', `the WebGPU device was lost during the run (${gpu.lost})`)
    if (gpu.errors !== before) {
      for (const t of Object.values(results)) t.dispose?.()
      const first = gpu.recent.find(([n]) => n > before)?.[1] ?? 'see the page log' // the cause; later ones follow from it
      throw new ProtocolError('run', `WebGPU reported ${gpu.errors - before} error(s) during the run, so its outputs cannot be trusted; the first: ${first}`)
    }
  }
  return [results, ms]
}

function sessionOptions (ep) {
  // Only `ep`: a model that cannot run there must fail, not fall back to wasm in silence.
  const provider = ep === 'webnn' ? { name: 'webnn', deviceType: state.webnnDevice } : ep
  return { executionProviders: [provider], graphOptimizationLevel: 'all' }
}

// One inference at a time in the page: onnxruntime-web's backends share one wasm instance (and one
// GPU device), and a bench's timings must not interleave with other runs.
let runQueue = Promise.resolve()
function exclusive (task) {
  const result = runQueue.then(task, task)
  runQueue = result.catch(() => {})
  return result
}

// ---- protocol errors ----------------------------------------------------------------------------

class ProtocolError extends Error {
  constructor (code, message) {
    super(message)
    this.code = code
  }
}

const codeOf = (e, fallback) => ERROR_CODES.includes(e?.code) ? e.code : fallback
const validId = (id) => Number.isSafeInteger(id) && id >= 0

function checkRequest (msg, fields) {
  if (!validId(msg.id)) throw new ProtocolError('frame', `${msg.type}: "id" is not a non-negative integer`)
  for (const f of fields) {
    if (typeof msg[f] !== 'string' || !msg[f]) throw new ProtocolError('frame', `${msg.type}: "${f}" is not a non-empty string`)
  }
}

function checkEp (ep) {
  if (!ALL_EPS.includes(ep)) throw new ProtocolError('unsupported', `unknown execution provider "${ep}" (known: ${ALL_EPS.join(', ')})`)
  if (!state.capabilities.eps.includes(ep)) {
    throw new ProtocolError('unsupported', `this page does not offer ${ep} (it offers: ${state.capabilities.eps.join(', ') || 'nothing'})`)
  }
}

// ---- requests -------------------------------------------------------------------------------------

async function onLoad (conn, msg) {
  checkRequest(msg, ['cid', 'ep'])
  checkEp(msg.ep)
  if (!state.ort) throw new ProtocolError('session', state.ortError)
  const key = `${msg.cid}|${msg.ep}`
  const have = conn.sessions.get(key)
  if (have) { // already loaded on this connection: nothing to fetch or create
    conn.send(loadedMessage(msg.id, have, { cached: true, fetch_ms: 0, create_ms: 0 }))
    return
  }
  // Two loads of the same model at once share the work.
  if (!conn.loading.has(key)) {
    conn.loading.set(key, loadModel(conn, msg).finally(() => {
      conn.loading.delete(key)
      if (!conn.closed) setStatus(`connected as ${state.worker}`, 'ok') // after the progress lines
    }))
  }
  const entry = await conn.loading.get(key)
  conn.send(loadedMessage(msg.id, entry, entry.timings))
}

async function loadModel (conn, msg) {
  const { cid, ep } = msg
  log(`load ${cid} on ${ep}${msg.gateway ? ` from ${msg.gateway}` : ''}`)
  const t0 = performance.now()
  let lastShown = 0
  const file = await fetchFile(cid, {
    gateway: msg.gateway || '',
    verify: true,
    cache: true,
    onProgress: ({ blocks, bytes }) => {
      if (performance.now() - lastShown > 250) {
        lastShown = performance.now()
        setStatus(`loading ${cid}: ${blocks} blocks, ${formatBytes(bytes)}`)
      }
    }
  })
  const t1 = performance.now()
  let session
  try {
    session = await exclusive(() => state.ort.InferenceSession.create(file.bytes, sessionOptions(ep)))
  } catch (e) {
    throw new ProtocolError('session', `onnxruntime-web could not create a ${ep} session for ${cid}: ${e.message ?? e}`)
  }
  if (ep === 'webgpu') await watchGpuDevice()
  const t2 = performance.now()
  const entry = {
    cid,
    ep,
    session,
    bytes: file.bytes.length,
    blocks: file.blocks,
    cached: file.cached,
    runs: 0,
    timings: { cached: file.cached, fetch_ms: round(t1 - t0), create_ms: round(t2 - t1) }
  }
  if (conn.closed) { // the connection that asked is gone, and its sessions with it
    await session.release()
    throw new ProtocolError('session', 'the connection closed during the load')
  }
  conn.sessions.set(`${cid}|${ep}`, entry)
  log(`loaded ${cid} on ${ep}: ${file.bytes.length} bytes, ${file.blocks} blocks${file.cached ? ' from the cache' : ''}, fetch ${entry.timings.fetch_ms} ms, session ${entry.timings.create_ms} ms`)
  showModels(conn)
  return entry
}

const round = (ms) => Math.round(ms * 1000) / 1000

function loadedMessage (id, entry, timings) {
  return {
    type: 'loaded',
    id,
    cid: entry.cid,
    ep: entry.ep,
    bytes: entry.bytes,
    blocks: entry.blocks,
    cached: timings.cached,
    fetch_ms: timings.fetch_ms,
    create_ms: timings.create_ms,
    inputs: [...entry.session.inputNames],
    outputs: [...entry.session.outputNames]
  }
}

async function onUnload (conn, msg) {
  const key = `${msg.cid}|${msg.ep}`
  const entry = conn.sessions.get(key)
  if (!entry) {
    log(`unload ${msg.cid} on ${msg.ep}: not loaded`)
    return
  }
  conn.sessions.delete(key)
  await exclusive(() => entry.session.release()) // after the runs already queued on it
  log(`unloaded ${msg.cid} on ${msg.ep}`)
  showModels(conn)
}

// The session a run or bench frame names, and its inputs as onnxruntime-web tensors.
function prepareRun (conn, header, tensors) {
  checkRequest(header, ['cid', 'ep'])
  const entry = conn.sessions.get(`${header.cid}|${header.ep}`)
  if (!entry) throw new ProtocolError('run', `${header.cid} is not loaded on ${header.ep}: send load first`)
  const feeds = {}
  for (const t of tensors) {
    try {
      feeds[t.name] = new state.ort.Tensor(t.dtype, t.data, t.shape)
    } catch (e) {
      throw new ProtocolError('run', `input ${t.name}: ${e.message}`)
    }
  }
  return { entry, feeds }
}

async function onRun (conn, header, tensors) {
  const { entry, feeds } = prepareRun(conn, header, tensors)
  const wanted = header.outputs ?? []
  if (!Array.isArray(wanted) || !wanted.every((n) => typeof n === 'string')) {
    throw new ProtocolError('frame', 'run: "outputs" is not an array of names')
  }
  const names = wanted.length ? wanted : [...entry.session.outputNames]
  const unknown = names.filter((n) => !entry.session.outputNames.includes(n))
  if (unknown.length) throw new ProtocolError('run', `no output named ${unknown.join(', ')} (outputs: ${entry.session.outputNames.join(', ')})`)

  let results
  let runMs
  try {
    ;[results, runMs] = await exclusive(() => runChecked(entry, feeds, names))
  } catch (e) {
    throw new ProtocolError('run', `${header.cid} on ${header.ep}: ${e.message ?? e}`)
  }
  entry.runs++
  try {
    const out = []
    for (const name of names) {
      const t = results[name]
      if (!DTYPES[t.type]) throw new ProtocolError('run', `output ${name} is a ${t.type} tensor, which frames cannot carry`)
      // Outputs stay on the CPU unless asked otherwise; getData() copes with the other cases.
      const data = t.location === 'cpu' ? t.data : await t.getData()
      out.push({ name, dtype: t.type, shape: [...t.dims], data })
    }
    conn.sendBinary(encodeFrame({ type: 'result', id: header.id, run_ms: round(runMs) }, out))
  } finally {
    for (const t of Object.values(results)) t.dispose?.()
  }
  showModels(conn)
}

async function onBench (conn, header, tensors) {
  const { entry, feeds } = prepareRun(conn, header, tensors)
  const runs = header.runs
  if (!Number.isSafeInteger(runs) || runs < 1 || runs > MAX_BENCH_RUNS) {
    throw new ProtocolError('frame', `bench: "runs" is not an integer from 1 to ${MAX_BENCH_RUNS}`)
  }
  log(`bench ${header.cid} on ${header.ep}: ${runs} runs`)
  const times = []
  try {
    await exclusive(async () => {
      const once = async () => {
        const [results, ms] = await runChecked(entry, feeds, null)
        for (const t of Object.values(results)) t.dispose?.()
        return ms
      }
      await once() // warm-up: first-run costs (shader compiles, allocations) are not the model's speed
      for (let i = 0; i < runs; i++) times.push(round(await once()))
    })
  } catch (e) {
    throw new ProtocolError('run', `${header.cid} on ${header.ep}: ${e.message ?? e}`)
  }
  entry.runs += runs + 1
  conn.send({ type: 'bench_result', id: header.id, times_ms: times })
  showModels(conn)
}

async function onFetch (conn, msg) {
  checkRequest(msg, ['cid'])
  const verify = msg.verify !== false
  const t0 = performance.now()
  const file = await fetchFile(msg.cid, { gateway: msg.gateway || '', verify, cache: false })
  const ms = round(performance.now() - t0)
  log(`fetch ${msg.cid}: ${file.bytes.length} bytes, ${file.blocks} blocks in ${ms} ms (${verify ? 'verified' : 'NOT verified'})`)
  conn.send({ type: 'fetched', id: msg.id, bytes: file.bytes.length, blocks: file.blocks, ms, verified: file.verified })
}

// ---- the connection ---------------------------------------------------------------------------------

// Runs a request's handler; whatever goes wrong becomes an error answer, never a dead page.
function answer (conn, id, fallbackCode, handler) {
  handler().catch((e) => {
    const code = codeOf(e, fallbackCode)
    const message = String(e?.message ?? e)
    log(`error ${validId(id) ? id : 0} (${code}): ${message}`, 'error')
    conn.send({ type: 'error', id: validId(id) ? id : 0, message, code })
  })
}

function onMessage (conn, event) {
  if (typeof event.data === 'string') {
    let msg
    try {
      msg = JSON.parse(event.data)
    } catch {
      return answer(conn, 0, 'frame', async () => { throw new Error('a text message that is not JSON') })
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg) || typeof msg.type !== 'string') {
      return answer(conn, msg?.id, 'frame', async () => { throw new Error('a text message that is not a JSON object with a "type"') })
    }
    switch (msg.type) {
      case 'welcome':
        state.worker = String(msg.worker ?? '')
        state.attempts = 0
        show('worker', state.worker)
        setStatus(`connected as ${state.worker}`, 'ok')
        log(`welcome: worker ${state.worker}, protocol ${msg.protocol}`)
        if (msg.protocol !== PROTOCOL) log(`the node speaks protocol ${msg.protocol}, this page ${PROTOCOL}`, 'error')
        return
      case 'load': return answer(conn, msg.id, 'fetch', () => onLoad(conn, msg))
      case 'unload': return answer(conn, 0, 'session', () => onUnload(conn, msg))
      case 'fetch': return answer(conn, msg.id, 'fetch', () => onFetch(conn, msg))
      case 'run':
      case 'bench':
        return answer(conn, msg.id, 'frame', async () => { throw new Error(`${msg.type} must come as a binary frame with its input tensors`) })
      default:
        return answer(conn, msg.id, 'unsupported', async () => { throw new Error(`unknown message type "${msg.type}"`) })
    }
  }
  let frame
  try {
    frame = decodeFrame(event.data)
  } catch (e) {
    return answer(conn, e.header?.id, 'frame', async () => { throw e })
  }
  const { header, tensors } = frame
  switch (header.type) {
    case 'run': return answer(conn, header.id, 'run', () => onRun(conn, header, tensors))
    case 'bench': return answer(conn, header.id, 'run', () => onBench(conn, header, tensors))
    default:
      return answer(conn, header.id, 'unsupported', async () => { throw new Error(`unknown frame type "${header.type}"`) })
  }
}

function socketUrl () {
  const url = new URL('/browser/ws', location.href)
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
  url.hash = ''
  url.search = ''
  if (settings.key) url.searchParams.set('key', settings.key)
  return url
}

function connect () {
  const url = socketUrl()
  const shown = url.href.replace(/([?&]key=)[^&]*/, '$1…') // never put the key on screen
  setStatus(`connecting to ${shown}`)
  let socket
  try {
    socket = new WebSocket(url)
  } catch (e) {
    log(`cannot open ${shown}: ${e.message}`, 'error')
    return reconnectLater()
  }
  socket.binaryType = 'arraybuffer'
  const conn = {
    socket,
    closed: false,
    sessions: new Map(), // "cid|ep" -> loaded model; they belong to this connection
    loading: new Map(),
    send (msg) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg))
    },
    sendBinary (bytes) {
      if (socket.readyState === WebSocket.OPEN) socket.send(bytes)
    }
  }
  socket.onopen = () => {
    setStatus('connected, waiting for welcome')
    conn.send({
      type: 'hello',
      protocol: PROTOCOL,
      name: settings.name,
      user_agent: navigator.userAgent,
      capabilities: state.capabilities
    })
  }
  socket.onmessage = (event) => {
    try {
      onMessage(conn, event)
    } catch (e) { // a bug here must not take the connection down
      log(`message handler: ${e.message}`, 'error')
    }
  }
  socket.onclose = (event) => {
    conn.closed = true
    // The node forgets this worker's models with the connection; so does the page.
    for (const entry of conn.sessions.values()) exclusive(() => entry.session.release()).catch(() => {})
    conn.sessions.clear()
    showModels(conn)
    show('worker', '-')
    if (event.code === 1008) { // policy violation: a wrong key, a refused worker. Retrying cannot help.
      setStatus(`refused by the node: ${event.reason || 'policy violation'} (not reconnecting; fix and reload)`, 'error')
      log(`closed 1008: ${event.reason}`, 'error')
      return
    }
    log(`connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`, 'error')
    reconnectLater()
  }
}

function reconnectLater () {
  // 0.5 s, 1 s, 2 s ... up to 30 s, with jitter so that many pages do not return in step.
  const delay = Math.min(30000, 500 * 2 ** state.attempts) * (0.75 + Math.random() / 2)
  state.attempts = Math.min(state.attempts + 1, 10)
  setStatus(`disconnected; reconnecting in ${(delay / 1000).toFixed(1)} s`, 'error')
  setTimeout(connect, delay)
}

// ---- start --------------------------------------------------------------------------------------------

function summary (caps, ortVersion) {
  const g = caps.webgpu
  const gpu = g.available
    ? `yes (${[g.adapter.vendor, g.adapter.architecture, g.adapter.device].filter(Boolean).join(' ') || 'unnamed'}${g.reason ? `; ${g.reason}` : ''})`
    : `no (${g.reason})`
  const nn = caps.webnn.available
    ? `yes (${Object.keys(caps.webnn.devices).filter((d) => caps.webnn.devices[d]).join(', ')})`
    : `no (${caps.webnn.reason})`
  const w = caps.wasm
  return [
    `execution providers offered: ${caps.eps.join(', ') || 'none'}`,
    `WebGPU: ${gpu}`,
    `WebNN: ${nn}`,
    `wasm: ${w.available ? 'yes' : 'no'}, SIMD ${w.simd ? 'yes' : 'no'}, threads ${w.threads ? 'yes' : 'no'}` +
      ` (cross-origin isolated: ${w.cross_origin_isolated ? 'yes' : 'no'}, ${w.hardware_concurrency} cores)`,
    `onnxruntime-web: ${ortVersion || 'not loaded'}`
  ].join('\n')
}

async function start () {
  setStatus('probing this browser')
  show('name', settings.name || '(none)')
  const [webgpu, webnn] = await Promise.all([probeWebGPU(), probeWebNN()])
  const wasm = probeWasm()
  state.webnnDevice = ['gpu', 'npu', 'cpu'].find((d) => webnn.devices[d]) ?? 'cpu'
  await loadOrt(wasm, webgpu)

  const have = { webgpu: webgpu.available, webnn: webnn.available, wasm: wasm.available }
  const unknown = settings.eps.filter((ep) => !ALL_EPS.includes(ep))
  if (unknown.length) log(`?eps=: unknown ${unknown.join(', ')} ignored`, 'error')
  const eps = state.ort ? ALL_EPS.filter((ep) => settings.eps.includes(ep) && have[ep]) : []
  const { gpuAdapter, ...webgpuReport } = webgpu
  state.capabilities = { webgpu: webgpuReport, webnn, wasm, eps }
  show('caps', summary(state.capabilities, state.ort?.env.versions.web))
  log(`capabilities: ${eps.join(', ') || 'no execution provider'} offered`)
  connect()
}

start().catch((e) => {
  setStatus(`the page failed to start: ${e.message}`, 'error')
  log(e.stack ?? String(e), 'error')
})
