// helia as a client of a trustless gateway: fetches each CID with @helia/verified-fetch, which asks
// the gateway for raw blocks (GET /ipfs/CID?format=raw, Accept: application/vnd.ipld.raw) and
// checks every block against its CID before using it.
//   node --import ./with_resolvers.mjs helia_fetch.mjs GATEWAY_URL CID...
// Prints "CID STATUS SHA256-OF-BODY BYTES" per CID (sha256 "-" when there was no body, or the
// error). Each fetch has a deadline of HELIA_TIMEOUT_MS (default 60000): a bad block makes
// verified-fetch wait, not fail. Bodies are hashed as they stream (bench/fetch sends 1 GiB).
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
    const timeout = Number(process.env.HELIA_TIMEOUT_MS ?? 60_000)
    const res = await verifiedFetch(`ipfs://${cid}`, { signal: AbortSignal.timeout(timeout) })
    const hasher = createHash('sha256')
    let bytes = 0
    if (res.body) {
      for await (const chunk of res.body) {
        hasher.update(chunk)
        bytes += chunk.length
      }
    }
    const hash = bytes > 0 || res.ok ? hasher.digest('hex') : '-'
    console.log(cid, res.status, hash, bytes)
    if (!res.ok) failed = true
  } catch (e) {
    console.log(cid, 'error', `${e.name}: ${e.message}`.replace(/\s+/g, ' '))
    failed = true
  }
}
await helia.stop()
process.exit(failed ? 1 : 0)
