// (e) node:http in, undici Pool.stream out: undici writes the upstream body straight into
// the node:http response (no intermediate Readable), bodies streamed both ways.
import http from 'node:http'
import { Pool } from 'undici'
import { options, ready, endToEnd, requestHeaders, hasBody, fail } from './common.mjs'

const { port, upstream } = options()
const pool = new Pool(upstream.origin, { keepAliveTimeout: 60_000 })

function factory({ statusCode, headers, opaque: res }) {
  res.writeHead(statusCode, endToEnd(headers))
  return res
}

ready(http.createServer((req, res) => {
  pool.stream(
    { method: req.method, path: req.url, headers: requestHeaders(req.headers), body: hasBody(req) ? req : null, opaque: res },
    factory,
    (err) => err && fail(res, err),
  )
}), port)
