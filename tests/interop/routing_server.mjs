// The JS side of routing_interop_test.sh that our client reads from (run from .deps/npm):
//   helia PEERID ADDR…   a helia node (createHeliaLight) whose only content router answers every
//                        findProviders with PEERID at ADDRs, served by
//                        @helia/delegated-routing-v1-http-api-server
//   garbage-json         a node:http router whose answers are no JSON
//   garbage-addrs PEERID a node:http router answering one provider whose addresses are garbage
// Prints "routing server at http://127.0.0.1:PORT" once it listens; runs until killed.
import { createServer } from 'node:http'
import { createDelegatedRoutingV1HttpApiServer } from '@helia/delegated-routing-v1-http-api-server'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'

Promise.withResolvers ??= () => {
  let resolve, reject
  const promise = new Promise((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

const [mode, peer, ...addrs] = process.argv.slice(2)

if (mode === 'helia') {
  const provider = { id: peerIdFromString(peer), multiaddrs: addrs.map(a => multiaddr(a)) }
  const router = {
    name: 'interop-test-router',
    async * findProviders () { yield provider }
  }
  const helia = createHeliaLight({ routers: [router] })
  await helia.start()
  const server = await createDelegatedRoutingV1HttpApiServer(helia, { listen: { host: '127.0.0.1', port: 0 } })
  console.log(`routing server at http://127.0.0.1:${server.server.address().port}`)
} else {
  const body = mode === 'garbage-json'
    ? '{"Providers": [{"Schema": "peer", "ID": '
    : JSON.stringify({ Providers: [{ Schema: 'peer', ID: peer, Addrs: ['garbage', '/ip4/999.1.1.1/tcp/80/http', '/ip4/127.0.0.1/tcp/99999/http'] }] })
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(body)
  })
  server.listen(0, '127.0.0.1', () => {
    console.log(`routing server at http://127.0.0.1:${server.address().port}`)
  })
}
