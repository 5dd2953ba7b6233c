// helia as a trustless gateway: a node:http front end over @helia/verified-fetch on a helia node
// that holds the blocks of the given CAR files (helia has no gateway server of its own).
//   node --import ./with_resolvers.mjs helia_gateway.mjs CAR...
// Listens on 127.0.0.1, port 0, and prints "helia gateway listening on http://127.0.0.1:PORT".
// GET|HEAD /ipfs/{cid}[/path][?format=raw|car...] is handed to verified-fetch as ipfs://… with the
// request's Accept header, so raw blocks (application/vnd.ipld.raw), CAR and the bafkqaaa probe
// are answered as verified-fetch answers them. The node is offline: a block it lacks is not looked
// for elsewhere, the request ends after 10 s (verified-fetch then answers 504).
import fs from 'node:fs'
import http from 'node:http'
import { car } from '@helia/car'
import { withHTTP } from '@helia/http'
import { createVerifiedFetchWithHelia } from '@helia/verified-fetch'
import { CarReader } from '@ipld/car'
import { createHeliaLight } from 'helia'

// verified-fetch needs a block broker for its sessions: withHTTP's, with no gateway and no
// router to find one, so nothing is ever asked of the network.
const noRouter = { name: 'no-op', async * findProviders () {} }
const helia = await withHTTP(createHeliaLight({ routers: [noRouter] }), {
  delegatedRouters: [],
  recursiveGateways: []
}).start()
for (const path of process.argv.slice(2)) {
  await car(helia).import(await CarReader.fromBytes(fs.readFileSync(path)))
}
const verifiedFetch = await createVerifiedFetchWithHelia(helia)

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1')
    if (!url.pathname.startsWith('/ipfs/') || !['GET', 'HEAD'].includes(req.method)) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405)
      return res.end()
    }
    const headers = {}
    for (const h of ['accept', 'range']) if (req.headers[h] != null) headers[h] = req.headers[h]
    const answer = await verifiedFetch(`ipfs://${url.pathname.slice(6)}${url.search}`, {
      method: req.method,
      headers,
      signal: AbortSignal.timeout(10_000)
    })
    res.writeHead(answer.status, Object.fromEntries(answer.headers))
    if (answer.body != null && req.method === 'GET') {
      for await (const chunk of answer.body) res.write(chunk)
    }
    res.end()
  } catch (e) {
    if (res.headersSent) return res.destroy()
    res.writeHead(500, { 'Content-Type': 'text/plain' })
    res.end(`${e.name}: ${e.message}\n`)
  }
})
server.listen(0, '127.0.0.1', () => {
  console.log(`helia gateway listening on http://127.0.0.1:${server.address().port}`)
})
