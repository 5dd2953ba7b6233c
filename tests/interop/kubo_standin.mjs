// A stand-in for Kubo's RPC API (no Kubo binary can be installed here), just enough of it for our
// L3 client (KuboRpcSource) and for the official JS client, kubo-rpc-client, to accept it.
//   node kubo_standin.mjs [--corrupt CID]... [--stall]
// Listens on 127.0.0.1, port 0, and prints "kubo stand-in listening on http://127.0.0.1:PORT".
// Blocks live in blockstore-core's MemoryBlockstore, filled by block/put and dag/import.
// As Kubo: every call is a POST (anything else: 405); errors are JSON
// {"Message", "Code", "Type": "error"}, status 500 (400 and Code 1 for a missing argument).
// --corrupt CID: block/get and dag/export answer other bytes for that CID (the test of our
// verification).
// --stall:       block/get and dag/export never answer (the test of our timeouts).
import http from 'node:http'
import { CarReader, CarWriter } from '@ipld/car'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'

const corrupt = new Set()
let stall = false
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--corrupt') corrupt.add(CID.parse(args[++i]).toV1().toString())
  else if (args[i] === '--stall') stall = true
  else throw new Error(`unknown argument ${args[i]}`)
}

const store = new MemoryBlockstore()
const pins = new Set()
const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

class ApiError extends Error {
  constructor (message, status = 500, code = 0) {
    super(message)
    this.status = status
    this.code = code
  }
}

function argCid (url) {
  const arg = url.searchParams.get('arg')
  if (arg == null) throw new ApiError('argument "cid" is required', 400, 1)
  try {
    return CID.parse(arg.replace(/^\/ipfs\//, ''))
  } catch (e) {
    throw new ApiError(`invalid path "${arg}": ${e.message}`)
  }
}

// The block's bytes, or Kubo's offline "not found" error (our client maps it to NotFound).
function getBlock (cid) {
  if (cid.multihash.code === identity.code) return cid.multihash.digest
  if (!store.has(cid)) {
    throw new ApiError(`block was not found locally (offline): ipld: could not find ${cid}`)
  }
  return Buffer.concat([...store.get(cid)])
}

// Stores a block after checking its hash against the CID, as a node must.
async function putBlock (cid, bytes) {
  if (cid.multihash.code !== sha256.code) {
    throw new ApiError(`unsupported multihash 0x${cid.multihash.code.toString(16)}`)
  }
  const digest = await sha256.digest(bytes)
  if (Buffer.compare(digest.bytes, cid.multihash.bytes) !== 0) {
    throw new ApiError(`block ${cid} does not match its hash`)
  }
  await store.put(cid, bytes)
}

// The CIDs a block links to (dag-pb, dag-cbor; raw has none).
function links (cid, bytes) {
  if (cid.code === dagPb.code) return dagPb.decode(bytes).Links.map(l => l.Hash)
  if (cid.code === dagCbor.code) {
    const out = []
    const walk = v => {
      const c = CID.asCID(v)
      if (c != null) out.push(c)
      else if (v != null && typeof v === 'object' && !(v instanceof Uint8Array)) Object.values(v).forEach(walk)
    }
    walk(dagCbor.decode(bytes))
    return out
  }
  return []
}

async function readBody (req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks)
}

// The file parts of a multipart/form-data body (what kubo-rpc-client sends for put and import).
async function multipartFiles (req) {
  const type = req.headers['content-type'] ?? ''
  if (!type.startsWith('multipart/form-data')) throw new ApiError('expected a multipart/form-data body', 400, 1)
  const form = await new Response(await readBody(req), { headers: { 'content-type': type } }).formData()
  const files = []
  for (const [, value] of form) {
    if (typeof value !== 'string') files.push(new Uint8Array(await value.arrayBuffer()))
  }
  if (files.length === 0) throw new ApiError('file argument "data" is required', 400, 1)
  return files
}

function sendJson (res, obj) {
  res.writeHead(200, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(obj) + '\n')
}

// block/put's CID: cid-codec (or the older format=v0|protobuf|dag-pb|cbor|dag-cbor), sha2-256.
async function putCid (url, bytes) {
  const mh = url.searchParams.get('mhtype') ?? 'sha2-256'
  if (mh !== 'sha2-256') throw new ApiError(`unsupported mhtype ${mh}`)
  const format = url.searchParams.get('format')
  const codec = url.searchParams.get('cid-codec') ?? format ?? 'raw'
  const codes = { raw: raw.code, 'dag-pb': dagPb.code, protobuf: dagPb.code, v0: dagPb.code, 'dag-cbor': dagCbor.code, cbor: dagCbor.code }
  if (codes[codec] == null) throw new ApiError(`unknown cid-codec ${codec}`)
  const digest = await sha256.digest(bytes)
  return format === 'v0' ? CID.createV0(digest) : CID.createV1(codes[codec], digest)
}

const handlers = {
  async id () {
    return {
      ID: peerId.toString(),
      PublicKey: '',
      Addresses: [],
      AgentVersion: 'kubo/0.38.0/ia-standin',
      ProtocolVersion: 'ipfs/0.1.0'
    }
  },
  async version () {
    return { Version: '0.38.0', Commit: 'standin', Repo: '16', System: 'amd64/linux', Golang: 'go1.24' }
  },
  async 'block/stat' (url) {
    const cid = argCid(url)
    return { Key: cid.toString(), Size: getBlock(cid).length }
  },
  async 'block/get' (url, req, res) {
    const cid = argCid(url)
    if (stall) return new Promise(() => {}) // never answers
    const bytes = spoiled(cid, getBlock(cid))
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Stream-Output': '1' })
    res.end(bytes)
  },
  async 'block/put' (url, req) {
    const [bytes] = await multipartFiles(req)
    const cid = await putCid(url, bytes)
    await putBlock(cid, bytes)
    if (url.searchParams.get('pin') === 'true') pins.add(cid.toString())
    return { Key: cid.toString(), Size: bytes.length }
  },
  async 'dag/import' (url, req, res) {
    const lines = []
    for (const car of await multipartFiles(req)) {
      const reader = await CarReader.fromBytes(car)
      for await (const { cid, bytes } of reader.blocks()) await putBlock(cid, bytes)
      for (const root of await reader.getRoots()) {
        if (url.searchParams.get('pin-roots') !== 'false') pins.add(root.toString())
        lines.push(JSON.stringify({ Root: { Cid: { '/': root.toString() }, PinErrorMsg: '' } }))
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Chunked-Output': '1' })
    res.end(lines.map(l => l + '\n').join(''))
  },
  async 'dag/export' (url, req, res) {
    const root = argCid(url)
    if (stall) return new Promise(() => {}) // never answers
    const blocks = [] // depth first, each block once, as Kubo; all found before the answer starts
    const seen = new Set()
    const visit = cid => {
      if (seen.has(cid.toString())) return
      seen.add(cid.toString())
      const bytes = getBlock(cid)
      blocks.push({ cid, bytes: spoiled(cid, bytes) })
      links(cid, bytes).forEach(visit)
    }
    visit(root)
    const { writer, out } = CarWriter.create([root])
    res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.car', 'X-Stream-Output': '1' })
    const written = (async () => {
      for (const b of blocks) await writer.put(b)
      await writer.close()
    })()
    for await (const chunk of out) res.write(chunk)
    await written
    res.end()
  }
}

// The bytes served for `cid`: as stored, or (--corrupt) the same length with a wrong hash.
function spoiled (cid, bytes) {
  if (!corrupt.has(cid.toV1().toString())) return bytes
  const out = Buffer.from(bytes)
  out[0] ^= 0xff
  return out
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1')
  const handler = url.pathname.startsWith('/api/v0/') ? handlers[url.pathname.slice(8)] : undefined
  if (handler == null) {
    res.writeHead(404, { 'Content-Type': 'text/plain' })
    return res.end('404 page not found')
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { 'Content-Type': 'text/plain' })
    return res.end('405 - Method Not Allowed')
  }
  try {
    const out = await handler(url, req, res)
    if (out != null) sendJson(res, out)
  } catch (e) {
    if (res.headersSent) return res.destroy(e)
    res.writeHead(e.status ?? 500, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ Message: e.message, Code: e.code ?? 0, Type: 'error' }) + '\n')
  }
})
server.listen(0, '127.0.0.1', () => {
  console.log(`kubo stand-in listening on http://127.0.0.1:${server.address().port}`)
})
