// The official Kubo client, kubo-rpc-client, against a Kubo RPC endpoint (our stand-in):
//   node kubo_client_check.mjs URL CAR
// Imports CAR with dag.import, then checks block.stat, block.get of every block, dag.export
// (the same blocks under the same root), block.put, and the errors: a missing block, a GET.
// Prints one "ok ..." line per check; on a failed check prints "FAIL ..." and exits 1.
import fs from 'node:fs'
import { CarReader } from '@ipld/car'
import { create } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

const [url, carPath] = process.argv.slice(2)
const ipfs = create({ url, timeout: 30_000 })

const t0 = Date.now()
function check (what, ok, detail = '') {
  what += ` (${Date.now() - t0} ms)`
  if (!ok) {
    console.log(`FAIL ${what} ${detail}`)
    process.exit(1)
  }
  console.log(`ok   ${what}`)
}
const same = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
async function concat (it) {
  const chunks = []
  for await (const c of it) chunks.push(c)
  return Buffer.concat(chunks)
}

const car = await CarReader.fromBytes(fs.readFileSync(carPath))
const [root] = await car.getRoots()
const blocks = []
for await (const b of car.blocks()) blocks.push(b)

const id = await ipfs.id()
check(`id: peer ${id.id}, agent ${id.agentVersion}`, id.id.toString().length > 0)
const version = await ipfs.version()
check(`version: ${version.version}`, typeof version.version === 'string')

const imported = []
for await (const r of ipfs.dag.import([fs.createReadStream(carPath)])) imported.push(r.root.cid.toString())
check(`dag.import: root ${imported}`, imported.length === 1 && imported[0] === root.toString(), `expected ${root}`)

const stat = await ipfs.block.stat(root)
const rootBytes = blocks.find(b => b.cid.equals(root)).bytes
check(`block.stat: ${stat.cid} is ${stat.size} bytes`, stat.cid.equals(root) && stat.size === rootBytes.length)

let bad = 0
for (const b of blocks) if (!same(await ipfs.block.get(b.cid), b.bytes)) bad++
check(`block.get: all ${blocks.length} blocks are the bytes of the CAR`, bad === 0, `${bad} differ`)

const exported = await CarReader.fromBytes(await concat(ipfs.dag.export(root)))
const exRoots = await exported.getRoots()
const exBlocks = new Map()
for await (const b of exported.blocks()) exBlocks.set(b.cid.toString(), b.bytes)
check('dag.export: same root', exRoots.length === 1 && exRoots[0].equals(root))
check(`dag.export: same ${blocks.length} blocks, same bytes`,
  exBlocks.size === blocks.length && blocks.every(b => same(exBlocks.get(b.cid.toString()) ?? [], b.bytes)),
  `${exBlocks.size} blocks exported`)

const data = new TextEncoder().encode('put by kubo-rpc-client\n')
const expected = CID.createV1(raw.code, await sha256.digest(data))
const put = await ipfs.block.put(data)
check(`block.put: ${put}`, put.equals(expected), `expected ${expected}`)
check('block.get after block.put', same(await ipfs.block.get(put), data))

const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('nowhere')))
const err = await ipfs.block.get(missing).then(() => null, e => e)
check(`block.get of a missing block is an error: ${err?.message}`, /not found/.test(err?.message ?? ''))

const get = await fetch(`${url}/api/v0/version`)
check(`GET is refused with ${get.status}`, get.status === 405)
process.exit(0) // kubo-rpc-client's keep-alive agent would hold the process open
