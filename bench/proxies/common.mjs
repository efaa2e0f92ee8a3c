// Shared by the candidate proxies in this folder: argument parsing and hop-by-hop
// header filtering (RFC 9110 §7.6.1), so every candidate does the same header work.
// Usage of every candidate: node <file> --port PORT --upstream HOST:PORT
import { parseArgs } from 'node:util'

export function options() {
  const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } })
  if (!values.port || !values.upstream) {
    console.error('usage: node <candidate>.mjs --port PORT --upstream HOST:PORT')
    process.exit(2)
  }
  const [host, port] = values.upstream.split(':')
  return { port: Number(values.port), upstream: { host, port: Number(port), origin: `http://${host}:${port}` } }
}

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/** A copy of a node/undici header object without hop-by-hop headers (and those named in Connection). */
export function endToEnd(headers) {
  const out = {}
  const conn = headers.connection
  const named = conn ? String(conn).toLowerCase().split(',').map((s) => s.trim()) : null
  for (const k in headers) {
    if (HOP.has(k) || (named && named.includes(k))) continue
    out[k] = headers[k]
  }
  return out
}

/**
 * Request headers to forward: end-to-end ones, minus `expect` (node:http already answered
 * `100-continue` to the client, and undici refuses to send it).
 */
export function requestHeaders(headers) {
  const out = endToEnd(headers)
  delete out.expect
  return out
}

/** The request carries a body (node:http sets neither header for a bodiless request). */
export function hasBody(req) {
  return req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined
}

export function ready(server, port) {
  server.keepAliveTimeout = 65_000
  server.listen(port, '127.0.0.1', () => console.log(`ready ${port}`))
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
}

export function fail(res, err) {
  if (!res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(`bad gateway: ${err?.code ?? err?.message ?? err}\n`)
  } else res.destroy(err)
}
