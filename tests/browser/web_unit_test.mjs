// Unit tests of the browser worker page's modules that run in node 20:
//   web/unixfs.js (verified UnixFS fetching) against DAGs built by the reference importer
//   (ipfs-unixfs-importer) and served through an injected fetch, and
//   web/frames.js (the protocol's binary frames).
//
//   node tests/browser/web_unit_test.mjs        (from the repository root)
//
// Prints one line per check and exits 1 if any failed.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { npmRequire } from './npm.mjs'
import {
  fetchFile, parseCid, cidFromBytes, decodeDagPb, decodeUnixfs, readVarint, UnixfsError
} from '../../web/unixfs.js'
import { encodeFrame, decodeFrame, DTYPES, FrameError } from '../../web/frames.js'

const { importer } = npmRequire('ipfs-unixfs-importer')
const { fixedSize } = npmRequire('ipfs-unixfs-importer/chunker')
const { balanced, trickle } = npmRequire('ipfs-unixfs-importer/layout')
const { MemoryBlockstore } = npmRequire('blockstore-core/memory')
const { CID } = npmRequire('multiformats/cid')
const Digest = npmRequire('multiformats/hashes/digest')

let failures = 0
const tests = []
const test = (name, fn) => tests.push({ name, fn })

// ---- helpers ------------------------------------------------------------------------------------

// Deterministic bytes (xorshift32), so that a failure reproduces.
function bytesOf (n, seed = 1) {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

const concat = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.length }
  return out
}

// Imports `content` with the reference importer; returns {root: CID string, store: Map cid -> bytes}.
async function importBytes (content, options) {
  const blockstore = new MemoryBlockstore()
  let last
  for await (const entry of importer([{ path: 'model.onnx', content }], blockstore, options)) last = entry
  // The MemoryBlockstore keys blocks by multihash: walk the DAG from the root to file each block
  // under the CID string its parent's link names (what the page will ask the gateway for).
  const store = new Map()
  const walk = async (cid) => {
    const s = cid.toString()
    if (store.has(s)) return
    const bytes = concat([...blockstore.get(cid)])
    store.set(s, bytes)
    if (cid.code === 0x70) {
      for (const link of decodeDagPb(bytes).links) await walk(CID.decode(link.hash))
    }
  }
  await walk(last.cid)
  return { root: last.cid.toString(), store }
}

// A fake trustless gateway over `store` (cid string -> bytes). `mutate(cid, bytes)` may return
// other bytes (tampering); every request is checked for the protocol's URL form and Accept header.
function gatewayFetch (store, { mutate, delayMs = 0, stats = {} } = {}) {
  stats.requests = []
  stats.inFlight = 0
  stats.maxInFlight = 0
  return async (url, init = {}) => {
    const m = /^https:\/\/gw\.test\/ipfs\/([a-zA-Z0-9]+)\?format=raw$/.exec(url)
    assert.ok(m, `unexpected URL ${url}`)
    assert.equal(init.headers?.Accept, 'application/vnd.ipld.raw')
    stats.requests.push(m[1])
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    try {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs))
      let bytes = store.get(m[1])
      if (!bytes) return new Response('not found', { status: 404, statusText: 'Not Found' })
      if (mutate) bytes = mutate(m[1], bytes) ?? bytes
      return new Response(bytes, { headers: { 'content-type': 'application/vnd.ipld.raw' } })
    } finally {
      stats.inFlight--
    }
  }
}

const GW = 'https://gw.test'

// Flips one byte in the middle of a copy.
const flip = (bytes) => {
  const copy = bytes.slice()
  copy[copy.length >> 1] ^= 0x01
  return copy
}

// Protobuf encoding for hand-made blocks.
const varint = (n) => {
  const out = []
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80)
  out.push(n)
  return out
}
const field = (no, wire, payload) => wire === 2
  ? [...varint(no * 8 + 2), ...varint(payload.length), ...payload]
  : [...varint(no * 8 + wire), ...varint(payload)]
const pbLink = (cidBytes, size) => field(2, 2, [...field(1, 2, cidBytes), ...field(2, 2, []), ...field(3, 0, size)])
const unixfsFile = ({ type = 2, data, filesize, blocksizes = [] }) => [
  ...field(1, 0, type),
  ...(data ? field(2, 2, [...data]) : []),
  ...(filesize !== undefined ? field(3, 0, filesize) : []),
  ...blocksizes.flatMap((b) => field(4, 0, b))
]

// Adds a block to `store` under its CIDv1 (codec 0x70 dag-pb or 0x55 raw); returns the CID.
function addBlock (store, bytes, codec) {
  bytes = Uint8Array.from(bytes)
  const digest = createHash('sha256').update(bytes).digest()
  const cid = CID.createV1(codec, Digest.create(0x12, digest))
  store.set(cid.toString(), bytes)
  return cid
}

async function rejects (promise, code, pattern) {
  try {
    await promise
  } catch (e) {
    assert.ok(e instanceof UnixfsError, `expected a UnixfsError, got ${e?.name}: ${e?.message}`)
    assert.equal(e.code, code, `code of: ${e.message}`)
    assert.match(e.message, pattern)
    return e
  }
  assert.fail(`expected an error matching ${pattern}`)
}

// ---- unixfs.js --------------------------------------------------------------------------------

const big = bytesOf(3 * 1000 * 1000, 7)
let bigDag // shared by several tests: a 3 MB file, raw leaves of 256 KiB, 4 children per node

test('CIDs: v1 base32 and v0 base58btc parse, links turn back into the same strings', async () => {
  const v1 = parseCid('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi')
  assert.deepEqual([v1.version, v1.codec, v1.hashCode, v1.digest.length], [1, 0x70, 0x12, 32])
  const raw = parseCid('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
  assert.equal(raw.codec, 0x55)
  const v0 = parseCid('QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n')
  assert.deepEqual([v0.version, v0.codec, v0.hashCode], [0, 0x70, 0x12])
  for (const s of ['bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n']) {
    assert.equal(cidFromBytes(CID.parse(s).bytes).string, s)
  }
  assert.throws(() => parseCid('zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA'), (e) => e.code === 'unsupported' && /base32/.test(e.message))
  assert.throws(() => parseCid('bAFY'), (e) => e.code === 'fetch' && /base32/.test(e.message))
  assert.throws(() => parseCid('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fb'), /length|varint|trailing bits/)
  assert.throws(() => parseCid(''), /not a string/)
})

test('varints: truncated and oversized ones are refused', async () => {
  assert.deepEqual(readVarint(Uint8Array.of(0xac, 0x02), 0), [300, 2])
  assert.throws(() => readVarint(Uint8Array.of(0x80, 0x80), 0), /runs past the end/)
  assert.throws(() => readVarint(new Uint8Array(12).fill(0xff), 0), /too large/)
})

test('multi-level DAG (3 MB, 256 KiB raw leaves, 4 links per node) assembles to the input', async () => {
  bigDag = await importBytes(big, {
    cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 256 * 1024 }), layout: balanced({ maxChildrenPerNode: 4 })
  })
  // 12 leaves under 3 nodes under the root: depth 2.
  const root = decodeDagPb(bigDag.store.get(bigDag.root))
  assert.equal(root.links.length, 3)
  assert.equal(decodeDagPb(bigDag.store.get(CID.decode(root.links[0].hash).toString())).links.length, 4)
  const stats = {}
  const got = await fetchFile(bigDag.root, { gateway: GW, fetch: gatewayFetch(bigDag.store, { delayMs: 5, stats }) })
  assert.equal(got.bytes.length, big.length)
  assert.ok(Buffer.from(got.bytes).equals(Buffer.from(big)), 'assembled bytes differ from the input')
  assert.equal(got.blocks, bigDag.store.size)
  assert.equal(got.blocks, 16)
  assert.equal(got.cached, false)
  assert.equal(got.verified, true)
  assert.ok(stats.maxInFlight > 1 && stats.maxInFlight <= 8, `in flight at most ${stats.maxInFlight}`)
})

test('trickle DAG and data-first dag-pb nodes assemble too', async () => {
  const content = bytesOf(700 * 1000, 3)
  for (const options of [{ layout: trickle() }, { fieldOrder: 'data-first' }]) {
    const dag = await importBytes(content, { cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 32 * 1024 }), ...options })
    const got = await fetchFile(dag.root, { gateway: GW, fetch: gatewayFetch(dag.store) })
    assert.ok(Buffer.from(got.bytes).equals(Buffer.from(content)))
  }
})

test('single-block file: the root is a raw block', async () => {
  const content = bytesOf(1000, 5)
  const dag = await importBytes(content, { cidVersion: 1, rawLeaves: true })
  assert.match(dag.root, /^bafkrei/)
  const got = await fetchFile(dag.root, { gateway: GW, fetch: gatewayFetch(dag.store) })
  assert.ok(Buffer.from(got.bytes).equals(Buffer.from(content)))
  assert.equal(got.blocks, 1)
})

test('inline data in dag-pb leaves (rawLeaves: false, UnixFS File and Raw leaves), and in a lone dag-pb root', async () => {
  const content = bytesOf(200 * 1000, 9)
  for (const leafType of ['file', 'raw']) {
    const dag = await importBytes(content, { cidVersion: 1, rawLeaves: false, leafType, chunker: fixedSize({ chunkSize: 64 * 1024 }) })
    assert.match(dag.root, /^bafybei/)
    for (const bytes of dag.store.values()) assert.equal(bytes[0] === 0x12 || bytes[0] === 0x0a, true) // all dag-pb
    const got = await fetchFile(dag.root, { gateway: GW, fetch: gatewayFetch(dag.store) })
    assert.ok(Buffer.from(got.bytes).equals(Buffer.from(content)), `leafType ${leafType}`)
    assert.equal(got.blocks, 5)
  }
  const small = bytesOf(500, 11)
  const one = await importBytes(small, { cidVersion: 1, rawLeaves: false })
  assert.equal(one.store.size, 1)
  const got = await fetchFile(one.root, { gateway: GW, fetch: gatewayFetch(one.store) })
  assert.ok(Buffer.from(got.bytes).equals(Buffer.from(small)))
})

test('CIDv0 (cidVersion 0) DAG: root "Qm…" parses and assembles', async () => {
  const content = bytesOf(300 * 1000, 13)
  const dag = await importBytes(content, { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 64 * 1024 }) })
  assert.match(dag.root, /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/)
  assert.equal(parseCid(dag.root).version, 0)
  const got = await fetchFile(dag.root, { gateway: GW, fetch: gatewayFetch(dag.store) })
  assert.ok(Buffer.from(got.bytes).equals(Buffer.from(content)))
})

test('a tampered leaf (one byte flipped) is refused with code "verify", naming the CID', async () => {
  const leaves = [...bigDag.store.keys()].filter((c) => c.startsWith('bafkrei'))
  const victim = leaves[5]
  const e = await rejects(
    fetchFile(bigDag.root, { gateway: GW, fetch: gatewayFetch(bigDag.store, { mutate: (c, b) => c === victim ? flip(b) : b }) }),
    'verify', /does not match its CID \(sha2-256 [0-9a-f]{64} received, [0-9a-f]{64} expected\): refused/)
  assert.ok(e.message.startsWith(`block ${victim} `), e.message)
})

test('a tampered root (dag-pb) is refused before it is decoded', async () => {
  const e = await rejects(
    fetchFile(bigDag.root, { gateway: GW, fetch: gatewayFetch(bigDag.store, { mutate: (c, b) => c === bigDag.root ? b.subarray(0, 10) : b }) }),
    'verify', /refused/)
  assert.ok(e.message.includes(bigDag.root))
})

test('verify: false (the benchmark path) accepts a tampered leaf', async () => {
  const victim = [...bigDag.store.keys()].find((c) => c.startsWith('bafkrei'))
  const got = await fetchFile(bigDag.root, {
    gateway: GW, verify: false, cache: false, fetch: gatewayFetch(bigDag.store, { mutate: (c, b) => c === victim ? flip(b) : b })
  })
  assert.equal(got.verified, false)
  assert.equal(got.bytes.length, big.length)
  let differing = 0
  for (let i = 0; i < big.length; i++) differing += got.bytes[i] !== big[i]
  assert.equal(differing, 1)
})

test('a truncated dag-pb block gives a clear error (hash-valid, and on the unverified path)', async () => {
  const rootBytes = bigDag.store.get(bigDag.root)
  const store = new Map(bigDag.store)
  const cut = addBlock(store, rootBytes.subarray(0, rootBytes.length - 20), 0x70)
  await rejects(fetchFile(cut.toString(), { gateway: GW, fetch: gatewayFetch(store) }), 'fetch', /runs past the end/)
  await rejects(
    fetchFile(bigDag.root, { gateway: GW, verify: false, fetch: gatewayFetch(bigDag.store, { mutate: (c, b) => c === bigDag.root ? b.subarray(0, 45) : b }) }),
    'fetch', new RegExp(`dag-pb block ${bigDag.root}.*runs past the end`))
})

test('limits: depth, total size, block count', async () => {
  const fetch = gatewayFetch(bigDag.store)
  await rejects(fetchFile(bigDag.root, { gateway: GW, fetch, maxDepth: 1 }), 'fetch', /deeper than 1 levels/)
  await rejects(fetchFile(bigDag.root, { gateway: GW, fetch, maxBytes: 1 << 20 }), 'fetch', /over the 1048576-byte limit/)
  await rejects(fetchFile(bigDag.root, { gateway: GW, fetch, maxBlocks: 10 }), 'fetch', /more than 10 blocks/)
  await rejects(fetchFile(bigDag.root, { gateway: GW, fetch, maxBlockBytes: 1000 }), 'fetch', /over the 1000-byte block limit/)
})

test('a directory where a file is expected is refused', async () => {
  const blockstore = new MemoryBlockstore()
  let last
  for await (const e of importer([{ path: 'd/a.onnx', content: bytesOf(10, 1) }], blockstore, { wrapWithDirectory: true })) last = e
  const store = new Map([[last.cid.toString(), concat([...blockstore.get(last.cid)])]])
  await rejects(fetchFile(last.cid.toString(), { gateway: GW, fetch: gatewayFetch(store) }), 'unsupported', /is a UnixFS directory, not a file/)
})

test('malformed but hash-valid blocks: each gives a clear error', async () => {
  const store = new Map()
  const leaf = addBlock(store, bytesOf(100, 2), 0x55)
  const cases = [
    [[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /varint too large/],
    [[...field(1, 2, unixfsFile({ data: [1, 2, 3], filesize: 3 })), ...field(5, 2, [1])], /unexpected field 5/],
    [field(1, 2, unixfsFile({ filesize: 100 })), /0 links but 0 blocksizes|filesize 100, but its data and blocksizes add up to 0/],
    [[...pbLink(leaf.bytes, 100), ...field(1, 2, unixfsFile({ filesize: 100 }))], /1 links but 0 blocksizes/],
    [[...pbLink(leaf.bytes, 100), ...field(1, 2, unixfsFile({ filesize: 100, blocksizes: [99] }))], /filesize 100, but its data and blocksizes add up to 99/],
    [[...pbLink(leaf.bytes, 100), ...field(1, 2, unixfsFile({ blocksizes: [99] }))], new RegExp(`block ${leaf} holds 100 bytes of the file where its parent .* says 99`)],
    [pbLink(leaf.bytes, 100), /has no UnixFS data/],
    [field(1, 2, [...field(2, 2, [1])]), /no Type/],
    [field(1, 2, unixfsFile({ type: 4, data: [0x61] })), /is a UnixFS Symlink, not a file/],
    [field(1, 2, [...field(1, 0, 2), ...field(3, 2, [1])]), /field 3 has the wrong wire type 2/],
    [[...field(1, 2, unixfsFile({ data: [1] })), ...field(1, 2, unixfsFile({ data: [1] }))], /Data appears twice/],
    [[...field(2, 2, field(1, 2, [0x01, 0x55, 0x12, 0x20, 1, 2])), ...field(1, 2, unixfsFile({ blocksizes: [2] }))], /the multihash's length does not match/]
  ]
  for (const [bytes, pattern] of cases) {
    const cid = addBlock(store, bytes, 0x70)
    const e = await rejects(fetchFile(cid.toString(), { gateway: GW, fetch: gatewayFetch(store) }), /Symlink/.test(String(pattern)) ? 'unsupported' : 'fetch', pattern)
    assert.ok(e.message.length < 400, 'short messages')
  }
  // A hand-made File of two raw leaves with inline data before them.
  const a = addBlock(store, bytesOf(10, 3), 0x55)
  const b = addBlock(store, bytesOf(7, 4), 0x55)
  const root = addBlock(store, [...pbLink(a.bytes, 10), ...pbLink(b.bytes, 7), ...field(1, 2, unixfsFile({ data: [9, 9], filesize: 19, blocksizes: [10, 7] }))], 0x70)
  const got = await fetchFile(root.toString(), { gateway: GW, fetch: gatewayFetch(store) })
  assert.deepEqual([...got.bytes], [9, 9, ...bytesOf(10, 3), ...bytesOf(7, 4)])
})

test('identity CIDs: the bytes are the digest, nothing is fetched', async () => {
  const content = new TextEncoder().encode('inline bytes')
  const cid = CID.createV1(0x55, Digest.create(0x00, content))
  const got = await fetchFile(cid.toString(), { gateway: GW, fetch: () => assert.fail('fetched an identity block') })
  assert.equal(new TextDecoder().decode(got.bytes), 'inline bytes')
})

test('gateway errors: HTTP 404 and a network failure are "fetch" errors naming the block', async () => {
  const store = new Map(bigDag.store)
  const gone = [...store.keys()].find((c) => c.startsWith('bafkrei'))
  store.delete(gone)
  await rejects(fetchFile(bigDag.root, { gateway: GW, fetch: gatewayFetch(store) }), 'fetch', new RegExp(`block ${gone}: HTTP 404`))
  await rejects(fetchFile(bigDag.root, { gateway: GW, fetch: async () => { throw new TypeError('Failed to fetch') } }), 'fetch', /Failed to fetch/)
  await rejects(fetchFile(bigDag.root, { gateway: '', origin: undefined, fetch: gatewayFetch(store) }), 'fetch', /no gateway/)
})

test('without crypto.subtle (not a secure context) a load says to use https or localhost', async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto')
  Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true, writable: true })
  try {
    await rejects(fetchFile(bigDag.root, { gateway: GW, fetch: gatewayFetch(bigDag.store) }), 'unsupported', /secure context: open this page over https, or from localhost/)
    // The benchmark's unverified path needs no WebCrypto.
    const got = await fetchFile(bigDag.root, { gateway: GW, verify: false, fetch: gatewayFetch(bigDag.store) })
    assert.equal(got.bytes.length, big.length)
  } finally {
    Object.defineProperty(globalThis, 'crypto', saved)
  }
})

test('Cache Storage: a file is stored after a verified fetch and used without fetching; not on the benchmark path', async () => {
  // A minimal stand-in for the browser's CacheStorage.
  const entries = new Map()
  const cache = {
    match: async (key) => entries.get(key)?.clone(),
    put: async (key, res) => { entries.set(key, new Response(await res.arrayBuffer(), { headers: res.headers })) },
    delete: async (key) => entries.delete(key)
  }
  const opened = []
  globalThis.caches = { open: async (name) => { opened.push(name); return cache } }
  try {
    const content = bytesOf(1000, 21)
    const dag = await importBytes(content, { cidVersion: 1, rawLeaves: true })
    const origin = 'https://node.test'
    await fetchFile(dag.root, { gateway: GW, origin, verify: false, cache: false, fetch: gatewayFetch(dag.store) })
    assert.equal(entries.size, 0, 'the benchmark path keeps nothing')
    const first = await fetchFile(dag.root, { gateway: GW, origin, fetch: gatewayFetch(dag.store) })
    assert.equal(first.cached, false)
    assert.deepEqual([...entries.keys()], [`${origin}/browser/cache/${dag.root}`])
    assert.deepEqual(opened, ['ipfs-accelerate-models'])
    const second = await fetchFile(dag.root, { gateway: GW, origin, fetch: () => assert.fail('fetched a cached file') })
    assert.equal(second.cached, true)
    assert.equal(second.blocks, 1)
    assert.ok(Buffer.from(second.bytes).equals(Buffer.from(content)))
    // A truncated entry is dropped and the file fetched again.
    const key = `${origin}/browser/cache/${dag.root}`
    entries.set(key, new Response(content.subarray(0, 10), { headers: { 'x-ia-bytes': '1000', 'x-ia-blocks': '1' } }))
    const third = await fetchFile(dag.root, { gateway: GW, origin, fetch: gatewayFetch(dag.store) })
    assert.equal(third.cached, false)
  } finally {
    delete globalThis.caches
  }
})

// ---- frames.js --------------------------------------------------------------------------------

const SAMPLES = {
  float32: [0, -1.5, 3.25, Infinity, -0],
  float16: [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000], // bit patterns: 1, -2, 65504, tiny, -0
  float64: [Math.PI, -1e300, 5e-324, NaN, 0],
  int8: [-128, 127, 0, -1, 5],
  uint8: [0, 255, 128, 1, 7],
  int16: [-32768, 32767, 0, -2, 9],
  uint16: [65535, 0, 1, 2, 3],
  int32: [-2147483648, 2147483647, 0, -3, 4],
  uint32: [4294967295, 0, 1, 2, 3],
  int64: [-(2n ** 63n), 2n ** 63n - 1n, 0n, -5n, 6n],
  uint64: [2n ** 64n - 1n, 0n, 1n, 2n ** 53n + 1n, 3n],
  bool: [1, 0, 1, 1, 0]
}

test('frames: every dtype round-trips, at 8-aligned offsets', async () => {
  const tensors = Object.entries(SAMPLES).map(([dtype, values], i) => ({
    name: `t_${dtype}`, dtype, shape: i % 2 ? [5] : [1, 5], data: DTYPES[dtype].array.from(values)
  }))
  const frame = encodeFrame({ type: 'run', id: 7, cid: 'bafy', ep: 'wasm', outputs: [] }, tensors)
  assert.equal(frame.byteOffset, 0)
  const { header, tensors: back } = decodeFrame(frame.buffer)
  assert.deepEqual([header.type, header.id, header.cid, header.ep, header.outputs], ['run', 7, 'bafy', 'wasm', []])
  assert.equal(back.length, tensors.length)
  const headerLength = new DataView(frame.buffer).getUint32(4, true)
  const payloadStart = Math.ceil((8 + headerLength) / 8) * 8
  back.forEach((t, i) => {
    const want = tensors[i]
    assert.equal(t.name, want.name)
    assert.equal(t.dtype, want.dtype)
    assert.deepEqual(t.shape, want.shape)
    assert.ok(t.data instanceof DTYPES[want.dtype].array, `${want.dtype}: ${t.data.constructor.name}`)
    assert.deepEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), new Uint8Array(want.data.buffer))
    const d = header.tensors[i]
    assert.equal(d.offset % 8, 0)
    assert.equal(d.bytes, 5 * DTYPES[want.dtype].size)
    assert.equal((payloadStart + d.offset) % 8, 0)
  })
})

test('frames: the exact layout ("IAT1", u32 LE length, JSON, zero padding, payload)', async () => {
  const frame = encodeFrame({ type: 'result', id: 1, run_ms: 2 }, [
    { name: 'a', dtype: 'uint8', shape: [3], data: Uint8Array.of(1, 2, 3) },
    { name: 'b', dtype: 'int32', shape: [1], data: Int32Array.of(-1) }
  ])
  assert.deepEqual([...frame.subarray(0, 4)], [0x49, 0x41, 0x54, 0x31])
  const h = new DataView(frame.buffer).getUint32(4, true)
  const json = JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + h)))
  assert.deepEqual(json, {
    type: 'result',
    id: 1,
    run_ms: 2,
    tensors: [
      { name: 'a', dtype: 'uint8', shape: [3], offset: 0, bytes: 3 },
      { name: 'b', dtype: 'int32', shape: [1], offset: 8, bytes: 4 }
    ]
  })
  const p = Math.ceil((8 + h) / 8) * 8
  assert.ok(frame.subarray(8 + h, p).every((x) => x === 0))
  assert.deepEqual([...frame.subarray(p)], [1, 2, 3, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])
  assert.equal(frame.length, p + 12)
})

test('frames: an unaligned view is copied; empty tensors and frames without tensors decode', async () => {
  const frame = encodeFrame({ type: 'run', id: 2 }, [
    { name: 'x', dtype: 'float64', shape: [2], data: Float64Array.of(1.5, -2) },
    { name: 'e', dtype: 'int64', shape: [0, 3], data: new BigInt64Array(0) }
  ])
  const shifted = new Uint8Array(frame.length + 3)
  shifted.set(frame, 3)
  const { tensors } = decodeFrame(shifted.subarray(3))
  assert.deepEqual([...tensors[0].data], [1.5, -2])
  assert.equal(tensors[1].data.length, 0)
  // A header-only frame may end right after the header.
  const header = new TextEncoder().encode('{"type":"x","id":3}')
  const bare = new Uint8Array(8 + header.length)
  bare.set([0x49, 0x41, 0x54, 0x31])
  new DataView(bare.buffer).setUint32(4, header.length, true)
  bare.set(header, 8)
  assert.deepEqual(decodeFrame(bare), { header: { type: 'x', id: 3 }, tensors: [] })
})

// Builds a frame from a header object (or raw header text) and payload bytes, unvalidated.
function rawFrame (header, payload = new Uint8Array(0), { magic = 'IAT1', length } = {}) {
  const h = typeof header === 'string' || header instanceof Uint8Array
    ? (typeof header === 'string' ? new TextEncoder().encode(header) : header)
    : new TextEncoder().encode(JSON.stringify(header))
  const start = Math.ceil((8 + h.length) / 8) * 8
  const out = new Uint8Array(start + payload.length)
  out.set(new TextEncoder().encode(magic).subarray(0, 4))
  new DataView(out.buffer).setUint32(4, length ?? h.length, true)
  out.set(h, 8)
  out.set(payload, start)
  return out
}

test('frames: each malformation is rejected with a FrameError that says what is wrong', async () => {
  const t = (over) => ({ type: 'run', id: 9, tensors: [{ name: 'x', dtype: 'float32', shape: [2], offset: 0, bytes: 8, ...over }] })
  const p8 = new Uint8Array(8)
  const padded = rawFrame({ type: 'run', id: 9 })
  padded[padded.length - 1] = 1
  const cases = [
    [new Uint8Array(5), /shorter than the 8-byte preamble/],
    [rawFrame({}, p8, { magic: 'IAT2' }), /does not start with "IAT1"/],
    [rawFrame({}, p8, { length: 1000 }), /header length 1000 runs past the frame/],
    [rawFrame('{"type":'), /not UTF-8 JSON/],
    [rawFrame(Uint8Array.of(0x22, 0xff, 0x22)), /not UTF-8 JSON/],
    [rawFrame('[1,2]'), /not a JSON object/],
    [rawFrame('null'), /not a JSON object/],
    [padded, /padding after the header is not zeros/],
    [rawFrame({ type: 'run', id: 9, tensors: {} }), /"tensors" is not an array/],
    [rawFrame({ type: 'run', id: 9, tensors: [7] }), /tensors\[0\] is not an object/],
    [rawFrame(t({ name: 3 }), p8), /has no string "name"/],
    [rawFrame(t({ dtype: 'complex64' }), p8), /unknown dtype "complex64"/],
    [rawFrame(t({ dtype: 'toString' }), p8), /unknown dtype "toString"/],
    [rawFrame(t({ dtype: 'string' }), p8), /unknown dtype "string"/],
    [rawFrame(t({ shape: [-2] }), p8), /not a non-negative integer/],
    [rawFrame(t({ shape: [1.5] }), p8), /not a non-negative integer/],
    [rawFrame(t({ shape: ['2'] }), p8), /not a non-negative integer/],
    [rawFrame(t({ shape: 2 }), p8), /shape is not an array/],
    [rawFrame(t({ shape: [2 ** 30, 2 ** 30, 2 ** 30] }), p8), /too large/],
    [rawFrame(t({ bytes: 12 }), p8), /bytes 12 is not 2 float32 elements \(8 bytes\)/],
    [rawFrame(t({ bytes: '8' }), p8), /bytes "8" is not/],
    [rawFrame(t({ offset: 4 }), new Uint8Array(16)), /offset 4 is not a non-negative multiple of 8/],
    [rawFrame(t({ offset: -8 }), p8), /offset -8 is not/],
    [rawFrame(t({ offset: 8 }), p8), /bytes 8\.\.16 fall outside the 8-byte payload/],
    [rawFrame(t({}), new Uint8Array(4)), /fall outside the 4-byte payload/],
    [rawFrame({ type: 'run', id: 9, tensors: [t({}).tensors[0], t({}).tensors[0]] }, p8), /"x" appears twice/],
    ['not binary', /not binary data/]
  ]
  for (const [input, pattern] of cases) {
    assert.throws(() => decodeFrame(input), (e) => {
      assert.ok(e instanceof FrameError, `${pattern}: ${e}`)
      assert.equal(e.code, 'frame')
      assert.match(e.message, pattern)
      return true
    })
  }
  // Past the header, the error still carries it: the page can answer with the request's id.
  assert.throws(() => decodeFrame(rawFrame(t({ bytes: 12 }), p8)), (e) => e.header?.id === 9)
})

test('frames: encoding refuses data that does not match its shape or dtype', async () => {
  assert.throws(() => encodeFrame({ type: 'result' }, [{ name: 'x', dtype: 'float32', shape: [3], data: new Float32Array(2) }]), /8 bytes of data for shape \[3\]/)
  assert.throws(() => encodeFrame({ type: 'result' }, [{ name: 'x', dtype: 'string', shape: [1], data: new Uint8Array(1) }]), /cannot travel in a frame/)
  assert.throws(() => encodeFrame({ type: 'result' }, [{ name: 'x', dtype: 'float32', shape: [1], data: [1] }]), /not a typed array/)
})

// ---- run ----------------------------------------------------------------------------------------

for (const { name, fn } of tests) {
  try {
    await fn()
    console.log(`ok    ${name}`)
  } catch (e) {
    failures++
    console.log(`FAIL  ${name}\n      ${(e.stack || String(e)).split('\n').slice(0, 6).join('\n      ')}`)
  }
}
console.log(failures ? `${failures} of ${tests.length} failed` : `all ${tests.length} passed`)
process.exit(failures ? 1 : 0)
