// Reads a CAR with @ipld/car (the reference CAR library), checks every block against its CID and
// prints {"roots": [...], "blocks": [...]} as JSON. Exit 1 on a malformed CAR or a wrong block.
// Usage: node car_check.mjs FILE
import fs from 'node:fs'
import { CarBlockIterator } from '@ipld/car/iterator'
import { sha256 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'
import { equals } from 'multiformats/bytes'

const iterator = await CarBlockIterator.fromBytes(fs.readFileSync(process.argv[2]))
const roots = (await iterator.getRoots()).map(String)
const blocks = []
for await (const { cid, bytes } of iterator) {
  const hasher = cid.multihash.code === identity.code ? identity : sha256
  const digest = await hasher.digest(bytes)
  if (!equals(digest.bytes, cid.multihash.bytes)) {
    console.error(`block ${cid} does not match its CID`)
    process.exit(1)
  }
  blocks.push(cid.toString())
}
console.log(JSON.stringify({ roots, blocks }))
