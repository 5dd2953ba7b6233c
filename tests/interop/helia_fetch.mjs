// helia as a client of a trustless gateway: fetches each CID with @helia/verified-fetch, which asks
// the gateway for raw blocks (GET /ipfs/CID?format=raw, Accept: application/vnd.ipld.raw) and
// checks every block against its CID before using it.
//   node --import ./with_resolvers.mjs helia_fetch.mjs GATEWAY_URL CID...
// Prints "CID STATUS SHA256-OF-BODY BYTES" per CID (sha256 "-" when there was no body, or the
// error). Each fetch has a 60 s deadline: a bad block makes verified-fetch wait, not fail.
import { createHash } from 'node:crypto'
import { withHTTP } from '@helia/http'
import { createVerifiedFetchWithHelia } from '@helia/verified-fetch'
import { createHeliaLight } from 'helia'

const [gateway, ...cids] = process.argv.slice(2)

// createHeliaLight with only withHTTP's fallback router waits forever in findProviders; a router
// that knows nothing lets the fallback (our gateway) answer.
const noRouter = { name: 'no-op', async * findProviders () {} }
const helia = await withHTTP(createHeliaLight({ routers: [noRouter] }), {
  delegatedRouters: [],
  recursiveGateways: [gateway],
  allowInsecure: true, // http://
  allowLocal: true // 127.0.0.1
}).start()
const verifiedFetch = await createVerifiedFetchWithHelia(helia)

let failed = false
for (const cid of cids) {
  try {
    const res = await verifiedFetch(`ipfs://${cid}`, { signal: AbortSignal.timeout(60_000) })
    const body = Buffer.from(await res.arrayBuffer())
    const hash = body.length > 0 || res.ok ? createHash('sha256').update(body).digest('hex') : '-'
    console.log(cid, res.status, hash, body.length)
    if (!res.ok) failed = true
  } catch (e) {
    console.log(cid, 'error', `${e.name}: ${e.message}`.replace(/\s+/g, ' '))
    failed = true
  }
}
await helia.stop()
process.exit(failed ? 1 : 0)
