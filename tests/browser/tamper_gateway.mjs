// A lying trustless gateway for the browser tests: proxies GET /ipfs/... to an honest upstream
// gateway and flips one byte of the body of chosen blocks, so that a test can check that the
// browser worker page refuses them (code "verify").
//
//   node tests/browser/tamper_gateway.mjs --upstream http://127.0.0.1:PORT (--tamper CID[,CID...] | --tamper-all-leaves)
//
// Listens on 127.0.0.1, on a port of the system's choosing, and prints `listening PORT` on stdout
// once ready (nothing else goes to stdout; a line per tampered block goes to stderr). Every answer
// carries Access-Control-Allow-Origin: * and Cross-Origin-Resource-Policy: cross-origin: the page
// is cross-origin isolated (COEP: require-corp), so a gateway on another origin needs both.
// OPTIONS preflights are answered. SIGTERM (or SIGINT) stops it. No npm packages needed.
import http from 'node:http'
import { parseCid } from '../../web/unixfs.js'

const CODEC_RAW = 0x55

function parseArgs (argv) {
  const opts = { upstream: '', tamper: new Set(), allLeaves: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--upstream' && i + 1 < argv.length) opts.upstream = argv[++i].replace(/\/+$/, '')
    else if (a === '--tamper' && i + 1 < argv.length) argv[++i].split(',').filter(Boolean).forEach((c) => opts.tamper.add(c))
    else if (a === '--tamper-all-leaves') opts.allLeaves = true
    else throw new Error(`unknown or incomplete argument ${a}`)
  }
  if (!/^https?:\/\//.test(opts.upstream)) throw new Error('--upstream http://HOST:PORT is required')
  return opts
}

// Is the block this CID names one to corrupt?
function shouldTamper (cid, opts) {
  if (opts.tamper.has(cid)) return true
  if (!opts.allLeaves) return false
  try {
    return parseCid(cid).codec === CODEC_RAW
  } catch {
    return false
  }
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin'
}

function serve (opts) {
  const tampered = new Set()
  const server = http.createServer(async (req, res) => {
    const reply = (status, body, headers = {}) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body
      res.writeHead(status, { ...CORS, 'Content-Length': bytes.length, ...headers })
      res.end(req.method === 'HEAD' ? undefined : bytes)
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...CORS,
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || '*',
        'Access-Control-Max-Age': '600'
      })
      return res.end()
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'GET, HEAD or OPTIONS only', { Allow: 'GET, HEAD, OPTIONS' })
    const url = new URL(req.url, 'http://127.0.0.1')
    const m = /^\/ipfs\/([^/?#]+)/.exec(url.pathname)
    if (!m) return reply(404, 'only /ipfs/ is proxied')

    let upstream
    try {
      upstream = await fetch(opts.upstream + url.pathname + url.search, {
        method: req.method,
        headers: req.headers.accept ? { Accept: req.headers.accept } : {}
      })
    } catch (e) {
      return reply(502, `upstream ${opts.upstream}: ${e.message}`)
    }
    const body = Buffer.from(await upstream.arrayBuffer())
    const cid = m[1]
    if (upstream.ok && body.length > 0 && shouldTamper(cid, opts)) {
      body[body.length >> 1] ^= 0x01 // one bit of one byte: the smallest lie
      if (!tampered.has(cid)) process.stderr.write(`tampered ${cid}\n`)
      tampered.add(cid)
    }
    const headers = {}
    for (const h of ['content-type', 'cache-control', 'etag', 'x-ipfs-path', 'x-ipfs-roots', 'x-content-type-options']) {
      const v = upstream.headers.get(h)
      if (v) headers[h] = v
    }
    reply(upstream.status, body, headers)
  })
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`))
  const stop = () => {
    server.close()
    server.closeAllConnections?.()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

try {
  serve(parseArgs(process.argv.slice(2)))
} catch (e) {
  process.stderr.write(`tamper_gateway: ${e.message}\n`)
  process.exit(2)
}
