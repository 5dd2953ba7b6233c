// The IPFS reference importer (ipfs-unixfs-importer) as a command:
//   node ref_add.mjs --profile unixfs-v1-2025|unixfs-v0-2015 [--wrap] [--cid-version N] [--raw-leaves true|false] [--chunk N] PATH...
// Prints the root CID of PATH (a file, or a directory added recursively with every entry,
// hidden ones included, empty directories kept), as `ipfs-accelerate add -Q -H -r` would.
// Several PATHs need --wrap (they become entries of one directory, as with `add -w`).
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { MemoryBlockstore } from 'blockstore-core/memory'
import fs from 'node:fs'
import path from 'node:path'

const args = process.argv.slice(2)
const opts = { profile: 'unixfs-v1-2025' }
const targets = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  if (a === '--profile') opts.profile = args[++i]
  else if (a === '--wrap') opts.wrapWithDirectory = true
  else if (a === '--cid-version') opts.cidVersion = Number(args[++i])
  else if (a === '--raw-leaves') opts.rawLeaves = args[++i] === 'true'
  else if (a === '--chunk') opts.chunker = fixedSize({ chunkSize: Number(args[++i]) })
  else targets.push(a)
}

function * entries (abs, rel) {
  const st = fs.statSync(abs)
  if (st.isDirectory()) {
    const names = fs.readdirSync(abs)
    if (names.length === 0) yield { path: rel }
    for (const n of names) yield * entries(path.join(abs, n), rel + '/' + n)
  } else {
    yield { path: rel, content: fs.createReadStream(abs, { highWaterMark: 1 << 20 }) }
  }
}

function * all () {
  for (const t of targets) yield * entries(t, path.basename(path.resolve(t)))
}
let last
for await (const r of importer(all(), new MemoryBlockstore(), opts)) last = r
console.log(last.cid.toString())
