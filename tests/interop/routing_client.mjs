// The JS side of routing_interop_test.sh that reads from our node, with the helia stack's own
// libraries (run from .deps/npm, beside node_modules):
//   providers ROUTER CID   @helia/delegated-routing-v1-http-api-client's getProviders: one JSON line
//                          per provider ({ID, Addrs, Protocols}); nothing for none
//   peers ROUTER PEERID    its getPeers, the same way
//   identity FILE          the PeerID libp2p derives from our identity file (a protobuf PrivateKey)
//   peer-id TEXT           the PeerID @libp2p/peer-id reads from TEXT (fails if it refuses it)
// Errors: "ERROR <name>: <message>" on stderr and exit status 1.
import { readFileSync } from 'node:fs'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromCID, peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { delegatedRoutingV1HttpApiClient } from '@helia/delegated-routing-v1-http-api-client'
import { CID } from 'multiformats/cid'

// Node 20 has no Promise.withResolvers; the client calls it per request.
Promise.withResolvers ??= () => {
  let resolve, reject
  const promise = new Promise((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

async function printAll (records) {
  for await (const r of records) {
    console.log(JSON.stringify({
      ID: peerIdFromCID(r.ID).toString(),
      Addrs: r.Addrs.map(String),
      Protocols: r.Protocols
    }))
  }
}

async function withClient (url, fn) {
  const client = delegatedRoutingV1HttpApiClient({ url, timeout: 10000 })({ logger: defaultLogger() })
  await client.start()
  try {
    await fn(client)
  } finally {
    await client.stop()
  }
}

const [command, a, b] = process.argv.slice(2)
try {
  if (command === 'providers') {
    await withClient(a, client => printAll(client.getProviders(CID.parse(b))))
  } else if (command === 'peers') {
    await withClient(a, client => printAll(client.getPeers(peerIdFromString(b))))
  } else if (command === 'identity') {
    console.log(peerIdFromPrivateKey(privateKeyFromProtobuf(readFileSync(a))).toString())
  } else if (command === 'peer-id') {
    console.log(peerIdFromString(a).toString())
  } else {
    throw new Error(`unknown command ${command}`)
  }
} catch (err) {
  console.error(`ERROR ${err.name}: ${err.message}`)
  process.exit(1)
}
