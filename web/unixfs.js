// Verified fetching of a UnixFS file, block by block, from a trustless gateway
// (GET {gateway}/ipfs/{cid}?format=raw, Accept: application/vnd.ipld.raw).
//
// Every block's SHA-256 is computed with WebCrypto and compared to its CID before the block is
// decoded or used: the gateway is not trusted, only the CID is. The file is then assembled from
// the DAG (raw leaves, dag-pb File/Raw nodes with inline data followed by their children).
//
// Plain ES module with no DOM use at import time: it runs in the page and in node 20 (the unit
// tests inject `fetch`).

export const CACHE_NAME = 'ipfs-accelerate-models'

const CODEC_DAG_PB = 0x70
const CODEC_RAW = 0x55
const HASH_SHA2_256 = 0x12
const HASH_IDENTITY = 0x00

const DEFAULTS = Object.freeze({
  gateway: '', // '' = the page's own origin
  origin: undefined, // the page's origin; defaults to location.origin where there is one
  verify: true, // false ONLY for the benchmark `fetch` message
  cache: true, // use and fill Cache Storage
  fetch: undefined, // defaults to globalThis.fetch; tests inject their own
  concurrency: 8, // blocks in flight at once
  maxDepth: 64, // levels below the root
  maxBytes: 4 * 1024 ** 3, // the assembled file
  maxBlocks: 1 << 21, // every block of the DAG, counted as it is visited
  maxBlockBytes: 16 * 1024 ** 2, // one block (real ones are at most 1-2 MiB)
  blockTimeoutMs: 120000,
  onProgress: undefined // ({blocks, bytes}) after each block
})

// An error with the protocol's code: "verify" (a block does not match its CID), "fetch" (the file
// could not be fetched or assembled: network, HTTP, malformed DAG, a limit), "unsupported" (a
// codec, hash or UnixFS type this page does not handle, or no WebCrypto).
export class UnixfsError extends Error {
  constructor (code, message) {
    super(message)
    this.name = 'UnixfsError'
    this.code = code
  }
}
const fail = (message) => new UnixfsError('fetch', message)
const unsupported = (message) => new UnixfsError('unsupported', message)

// ---- multibase --------------------------------------------------------------------------------

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567' // RFC 4648, lowercase, no padding
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz' // bitcoin alphabet

function base32Decode (s) {
  const out = new Uint8Array(Math.floor((s.length * 5) / 8))
  let bits = 0
  let value = 0
  let n = 0
  for (const ch of s) {
    const v = BASE32.indexOf(ch)
    if (v < 0) throw fail(`CID: ${JSON.stringify(ch)} is not a base32 (lowercase) character`)
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[n++] = (value >> bits) & 0xff
    }
  }
  // Leftover bits must be zero, or two strings would name the same bytes.
  if ((value & ((1 << bits) - 1)) !== 0) throw fail('CID: non-canonical base32 (trailing bits)')
  return out
}

function base32Encode (bytes) {
  let s = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      s += BASE32[(value >> bits) & 31]
    }
  }
  if (bits > 0) s += BASE32[(value << (5 - bits)) & 31]
  return s
}

function base58Decode (s) {
  let zeros = 0 // each leading '1' is a leading zero byte
  while (zeros < s.length && s[zeros] === '1') zeros++
  const digits = [] // the number in base 256, least significant first
  for (const ch of s.slice(zeros)) {
    let carry = BASE58.indexOf(ch)
    if (carry < 0) throw fail(`CID: ${JSON.stringify(ch)} is not a base58btc character`)
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i] * 58
      digits[i] = carry & 0xff
      carry >>= 8
    }
    for (; carry > 0; carry >>= 8) digits.push(carry & 0xff)
  }
  return Uint8Array.from([...new Array(zeros).fill(0), ...digits.reverse()])
}

function base58Encode (bytes) {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  const digits = [] // the number in base 58, least significant first
  for (const b of bytes.subarray(zeros)) {
    let carry = b
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i] * 256
      digits[i] = carry % 58
      carry = Math.floor(carry / 58)
    }
    for (; carry > 0; carry = Math.floor(carry / 58)) digits.push(carry % 58)
  }
  return '1'.repeat(zeros) + digits.reverse().map((d) => BASE58[d]).join('')
}

// ---- varints and CIDs ---------------------------------------------------------------------------

// An unsigned LEB128 varint at bytes[pos] as a Number: [value, next position]. Throws on a varint
// that runs past the end or does not fit in 53 bits (nothing in a CID or a UnixFS node needs more).
export function readVarint (bytes, pos, what = 'varint') {
  let value = 0
  let scale = 1
  for (let i = 0; ; i++) {
    if (pos + i >= bytes.length) throw fail(`${what}: varint runs past the end`)
    const b = bytes[pos + i]
    value += (b & 0x7f) * scale
    if (!Number.isSafeInteger(value) || i >= 8) throw fail(`${what}: varint too large`)
    if ((b & 0x80) === 0) return [value, pos + i + 1]
    scale *= 128
  }
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

// A CID from its string: CIDv1 in base32 ('b…', lowercase) or CIDv0 ('Qm…', base58btc).
// Returns {version, codec, hashCode, digest, string}.
export function parseCid (string) {
  if (typeof string !== 'string' || string.length === 0) throw fail('CID: not a string')
  if (string.length > 4096) throw fail('CID: longer than 4096 characters')
  if (string.length === 46 && string.startsWith('Qm')) return cidFromBytes(base58Decode(string), string)
  if (string[0] === 'b') return cidFromBytes(base32Decode(string.slice(1)), string)
  throw unsupported(`CID ${string}: only CIDv1 in base32 ("b…") and CIDv0 ("Qm…") are supported`)
}

// A CID from its binary form (as in a dag-pb link). `string` is given when parsing a string.
export function cidFromBytes (bytes, string) {
  if (bytes.length === 34 && bytes[0] === HASH_SHA2_256 && bytes[1] === 32) {
    return {
      version: 0,
      codec: CODEC_DAG_PB,
      hashCode: HASH_SHA2_256,
      digest: bytes.subarray(2),
      string: string ?? base58Encode(bytes)
    }
  }
  const what = `CID ${string ?? hex(bytes)}`
  const [version, p1] = readVarint(bytes, 0, what)
  if (version !== 1) throw fail(`${what}: version ${version} (a CIDv0 is a bare sha2-256 multihash)`)
  const [codec, p2] = readVarint(bytes, p1, what)
  const [hashCode, p3] = readVarint(bytes, p2, what)
  const [length, p4] = readVarint(bytes, p3, what)
  if (p4 + length !== bytes.length) throw fail(`${what}: the multihash's length does not match the CID's`)
  if (hashCode === HASH_SHA2_256 && length !== 32) throw fail(`${what}: a sha2-256 digest of ${length} bytes`)
  return {
    version: 1,
    codec,
    hashCode,
    digest: bytes.subarray(p4),
    string: string ?? 'b' + base32Encode(bytes)
  }
}

// ---- protobuf: dag-pb and UnixFS --------------------------------------------------------------

// Walks the fields of a protobuf message: calls visit(field, wireType, value) with a Number for
// varints and a Uint8Array for length-delimited fields; fixed-width fields are skipped.
function walkProtobuf (bytes, what, visit) {
  let pos = 0
  while (pos < bytes.length) {
    let key
    ;[key, pos] = readVarint(bytes, pos, what)
    const field = Math.floor(key / 8)
    const wire = key % 8
    let value
    if (wire === 0) {
      ;[value, pos] = readVarint(bytes, pos, what)
    } else if (wire === 2) {
      let length
      ;[length, pos] = readVarint(bytes, pos, what)
      if (pos + length > bytes.length) throw fail(`${what}: field ${field}'s length ${length} runs past the end`)
      value = bytes.subarray(pos, pos + length)
      pos += length
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4
      if (pos > bytes.length) throw fail(`${what}: field ${field} runs past the end`)
    } else {
      throw fail(`${what}: field ${field} has wire type ${wire}, which is not used here`)
    }
    visit(field, wire, value)
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

// PBNode {2: repeated PBLink, 1: Data}; PBLink {1: Hash, 2: Name, 3: Tsize}. Canonical nodes put
// the links first, but any order is accepted. Unknown fields are refused (dag-pb is strict).
export function decodeDagPb (bytes, what = 'dag-pb node') {
  const node = { data: null, links: [] }
  walkProtobuf(bytes, what, (field, wire, value) => {
    if (field === 1 && wire === 2) {
      if (node.data !== null) throw fail(`${what}: Data appears twice`)
      node.data = value
    } else if (field === 2 && wire === 2) {
      const link = { hash: null, name: '', tsize: 0 }
      const lwhat = `${what}: link ${node.links.length}`
      walkProtobuf(value, lwhat, (f, w, v) => {
        if (f === 1 && w === 2) link.hash = v
        else if (f === 2 && w === 2) {
          try {
            link.name = utf8.decode(v)
          } catch {
            throw fail(`${lwhat}: the name is not UTF-8`)
          }
        } else if (f === 3 && w === 0) link.tsize = v
        else throw fail(`${lwhat}: unexpected field ${f} (wire type ${w})`)
      })
      if (!link.hash) throw fail(`${lwhat}: no hash`)
      node.links.push(link)
    } else {
      throw fail(`${what}: unexpected field ${field} (wire type ${wire})`)
    }
  })
  return node
}

export const UNIXFS_TYPES = ['Raw', 'Directory', 'File', 'Metadata', 'Symlink', 'HAMTShard']

// UnixFS Data {1: Type, 2: Data, 3: filesize, 4: repeated blocksizes (packed or not)}; the later
// fields (hashType, fanout, mode, mtime) are skipped.
export function decodeUnixfs (bytes, what = 'UnixFS data') {
  const out = { type: undefined, data: null, filesize: undefined, blocksizes: [] }
  walkProtobuf(bytes, what, (field, wire, value) => {
    if (field === 1 && wire === 0) out.type = value
    else if (field === 2 && wire === 2) out.data = value
    else if (field === 3 && wire === 0) out.filesize = value
    else if (field === 4 && wire === 0) out.blocksizes.push(value)
    else if (field === 4 && wire === 2) {
      for (let pos = 0; pos < value.length;) {
        let size
        ;[size, pos] = readVarint(value, pos, `${what}: blocksizes`)
        out.blocksizes.push(size)
      }
    } else if (field <= 4) throw fail(`${what}: field ${field} has the wrong wire type ${wire}`)
  })
  if (out.type === undefined) throw fail(`${what}: no Type`)
  return out
}

// One block's part of the file: its own bytes (a raw leaf's, or a dag-pb node's inline data), its
// children in order with the size each must have, and its total size.
function decodeNode (cid, block) {
  if (cid.codec === CODEC_RAW) return { data: block, children: [], size: block.length }
  if (cid.codec !== CODEC_DAG_PB) {
    throw unsupported(`block ${cid.string}: codec 0x${cid.codec.toString(16)} is not dag-pb or raw`)
  }
  const what = `dag-pb block ${cid.string}`
  const pb = decodeDagPb(block, what)
  if (pb.data === null) throw fail(`${what} has no UnixFS data`)
  const fs = decodeUnixfs(pb.data, `${what}: UnixFS data`)
  const type = UNIXFS_TYPES[fs.type] ?? `type ${fs.type}`
  if (type === 'Directory' || type === 'HAMTShard') {
    throw unsupported(`${cid.string} is a UnixFS directory, not a file: name the file's own CID`)
  }
  if (type !== 'File' && type !== 'Raw') throw unsupported(`${cid.string} is a UnixFS ${type}, not a file`)
  if (fs.blocksizes.length !== pb.links.length) {
    throw fail(`${what}: ${pb.links.length} links but ${fs.blocksizes.length} blocksizes`)
  }
  const data = fs.data ?? new Uint8Array(0)
  let size = data.length
  const children = pb.links.map((link, i) => {
    size += fs.blocksizes[i]
    return { cid: cidFromBytes(link.hash), size: fs.blocksizes[i] }
  })
  if (!Number.isSafeInteger(size)) throw fail(`${what}: sizes overflow`)
  if (fs.filesize !== undefined && fs.filesize !== size) {
    throw fail(`${what}: filesize ${fs.filesize}, but its data and blocksizes add up to ${size}`)
  }
  return { data, children, size }
}

// ---- fetching -----------------------------------------------------------------------------------

// Runs at most n tasks at once, in the order they asked.
function limiter (n) {
  let active = 0
  const waiting = []
  let head = 0
  const next = () => {
    if (active < n && head < waiting.length) {
      active++
      const go = waiting[head]
      waiting[head++] = undefined
      go()
    }
  }
  return async (task) => {
    await new Promise((resolve) => {
      waiting.push(resolve)
      next()
    })
    try {
      return await task()
    } finally {
      active--
      next()
    }
  }
}

const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])

// One block, checked against its CID before anyone sees it.
async function getBlock (cid, ctx) {
  if (ctx.failed) throw ctx.failed
  if (++ctx.blocks > ctx.opts.maxBlocks) throw fail(`the DAG has more than ${ctx.opts.maxBlocks} blocks`)
  if (cid.hashCode === HASH_IDENTITY) return cid.digest // an inline block: the bytes are the CID's digest
  if (ctx.opts.verify && cid.hashCode !== HASH_SHA2_256) {
    throw unsupported(`block ${cid.string}: hash function 0x${cid.hashCode.toString(16)} (only sha2-256 is checked)`)
  }
  const url = `${ctx.gateway}/ipfs/${cid.string}?format=raw`
  const bytes = await ctx.limit(async () => {
    if (ctx.failed) throw ctx.failed
    let res
    try {
      res = await ctx.fetch(url, {
        headers: { Accept: 'application/vnd.ipld.raw' },
        // The benchmark fetch measures the network, not the browser's HTTP cache.
        cache: ctx.opts.cache ? 'default' : 'no-store',
        signal: AbortSignal.any([ctx.abort.signal, AbortSignal.timeout(ctx.opts.blockTimeoutMs)])
      })
    } catch (e) {
      throw fail(`block ${cid.string}: ${url}: ${e.name === 'TimeoutError' ? `no answer in ${ctx.opts.blockTimeoutMs} ms` : e.message}`)
    }
    if (!res.ok) throw fail(`block ${cid.string}: HTTP ${res.status} ${res.statusText} from ${url}`)
    const declared = Number(res.headers.get('content-length') ?? 0)
    if (declared > ctx.opts.maxBlockBytes) {
      throw fail(`block ${cid.string}: ${declared} bytes, over the ${ctx.opts.maxBlockBytes}-byte block limit`)
    }
    try {
      return new Uint8Array(await res.arrayBuffer())
    } catch (e) {
      throw fail(`block ${cid.string}: reading the body of ${url}: ${e.message}`)
    }
  })
  if (bytes.length > ctx.opts.maxBlockBytes) {
    throw fail(`block ${cid.string}: ${bytes.length} bytes, over the ${ctx.opts.maxBlockBytes}-byte block limit`)
  }
  if (ctx.opts.verify) {
    const actual = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    if (!equalBytes(actual, cid.digest)) {
      throw new UnixfsError('verify', `block ${cid.string} does not match its CID (sha2-256 ${hex(actual)} received, ${hex(cid.digest)} expected): refused`)
    }
  }
  ctx.bytes += bytes.length
  ctx.opts.onProgress?.({ blocks: ctx.blocks, bytes: ctx.bytes })
  return bytes
}

// Writes node (whose size the caller has checked) at out[offset...] and fetches its children, up
// to `concurrency` blocks at once; each child lands at its own offset, so order needs no waiting.
async function place (cid, node, out, offset, depth, ctx) {
  out.set(node.data, offset)
  let at = offset + node.data.length
  const slots = node.children.map((child) => {
    const slot = at
    at += child.size
    return slot
  })
  await Promise.all(node.children.map(async (child, i) => {
    if (depth + 1 > ctx.opts.maxDepth) throw fail(`the DAG is deeper than ${ctx.opts.maxDepth} levels (at ${cid.string})`)
    const childNode = decodeNode(child.cid, await getBlock(child.cid, ctx))
    if (childNode.size !== child.size) {
      throw fail(`block ${child.cid.string} holds ${childNode.size} bytes of the file where its parent ${cid.string} says ${child.size}`)
    }
    await place(child.cid, childNode, out, slots[i], depth + 1, ctx)
  }))
}

async function openCache () {
  if (typeof caches === 'undefined') return null // node, or a browser without Cache Storage
  try {
    return await caches.open(CACHE_NAME)
  } catch {
    return null // an opaque origin, storage disabled...
  }
}

// Fetches, verifies and assembles the UnixFS file `cidString`. Returns
// {bytes: Uint8Array, blocks, cached, verified, cid}: `blocks` counts the DAG's blocks (inline
// identity blocks included); a file found in Cache Storage reports the count stored with it.
// Throws a UnixfsError (code "verify", "fetch" or "unsupported").
export async function fetchFile (cidString, options = {}) {
  const opts = { ...DEFAULTS, ...options }
  const cid = parseCid(cidString)
  if (opts.verify && !globalThis.crypto?.subtle) {
    throw unsupported('cannot check blocks against their CIDs: WebCrypto (crypto.subtle) exists only in a secure context: open this page over https, or from localhost / 127.0.0.1')
  }
  const origin = opts.origin ?? globalThis.location?.origin
  const gateway = (opts.gateway || origin || '').replace(/\/+$/, '')
  if (!gateway) throw fail('no gateway given, and no page origin to use instead')

  const cache = opts.cache ? await openCache() : null
  const cacheKey = `${origin}/browser/cache/${cid.string}`
  if (cache) {
    try {
      const hit = await cache.match(cacheKey)
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer())
        // A truncated entry (quota, crash while writing) is dropped, not used.
        if (String(bytes.length) === hit.headers.get('x-ia-bytes')) {
          return { bytes, blocks: Number(hit.headers.get('x-ia-blocks')) || 0, cached: true, verified: true, cid: cid.string }
        }
        await cache.delete(cacheKey)
      }
    } catch {
      // A broken cache is no reason to fail a load: fetch instead.
    }
  }

  const ctx = {
    opts,
    gateway,
    fetch: opts.fetch ?? globalThis.fetch.bind(globalThis),
    limit: limiter(opts.concurrency),
    abort: new AbortController(),
    failed: null,
    blocks: 0,
    bytes: 0
  }
  let out
  try {
    const root = decodeNode(cid, await getBlock(cid, ctx))
    if (root.size > opts.maxBytes) throw fail(`${cid.string} is ${root.size} bytes, over the ${opts.maxBytes}-byte limit`)
    try {
      out = new Uint8Array(root.size)
    } catch (e) {
      throw fail(`cannot allocate ${root.size} bytes for ${cid.string}: ${e.message}`)
    }
    await place(cid, root, out, 0, 0, ctx)
  } catch (e) {
    // Stop the other fetches at once: their blocks are no longer wanted.
    ctx.failed = e instanceof UnixfsError ? e : fail(`${cid.string}: ${e.message}`)
    ctx.abort.abort()
    throw ctx.failed
  }

  if (cache) {
    try {
      await cache.put(cacheKey, new Response(out, {
        headers: { 'content-type': 'application/octet-stream', 'x-ia-bytes': String(out.length), 'x-ia-blocks': String(ctx.blocks) }
      }))
    } catch {
      // Over quota, private mode...: the load still succeeds, the next one fetches again.
    }
  }
  return { bytes: out, blocks: ctx.blocks, cached: false, verified: opts.verify, cid: cid.string }
}
