// (d) node:http in, undici Pool.request out (keep-alive pool), bodies streamed both ways.
import http from 'node:http'
import { pipeline } from 'node:stream'
import { Pool } from 'undici'
import { options, ready, endToEnd, requestHeaders, hasBody, fail } from './common.mjs'

const { port, upstream } = options()
const pool = new Pool(upstream.origin, { keepAliveTimeout: 60_000 })

ready(http.createServer(async (req, res) => {
  try {
    const up = await pool.request({ method: req.method, path: req.url, headers: requestHeaders(req.headers), body: hasBody(req) ? req : null })
    res.writeHead(up.statusCode, endToEnd(up.headers))
    pipeline(up.body, res, () => {})
  } catch (err) {
    fail(res, err)
  }
}), port)
