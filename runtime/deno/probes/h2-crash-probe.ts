/**
 * @module
 * A bare node:http2 secure server under Deno (no Weft code) that reads each request
 * body and answers with its length, to reproduce by hand the Deno 2.9 crash that made
 * the adapter put node:tls in front of Deno.serve instead (tls-front.ts,
 * docs/runtimes/deno.md). Configured by WEFT_PROBE (JSON:
 * { cert, key }); prints `{"port":N}`.
 */
import { createSecureServer } from 'node:http2'

const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { cert: string; key: string }
const server = createSecureServer({ allowHTTP1: true, cert: cfg.cert, key: cfg.key }, (req, res) => {
  let n = 0
  req.on('data', (d: Uint8Array) => (n += d.byteLength))
  req.on('end', () => res.end(String(n)))
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })))
process.once('SIGTERM', () => process.exit(0))
