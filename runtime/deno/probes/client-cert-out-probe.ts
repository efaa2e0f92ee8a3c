/**
 * @module
 * A Deno process for tls.test.ts: one call through the Deno Upstream over TLS to
 * `https://127.0.0.1:PORT/`, presenting the client certificate given (or none), the
 * upstream's CA trusted. Configured by WEFT_PROBE (JSON: { port, caCert, cert?, key? });
 * prints `{"status":N,"body":"..."}` or `{"error":"...","code":...,"status":...}` (the error thrown) and exits.
 */
import type { ProxyRequest } from '../../../core/http/view.js'
import { createDenoUpstream } from '../upstream.js'

const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { port: number; caCert: string; cert?: string; key?: string }
const upstream = createDenoUpstream({ tls: { caCerts: [cfg.caCert], ...(cfg.cert && cfg.key && { cert: cfg.cert, key: cfg.key }) } })
const req: ProxyRequest = {
  method: 'GET',
  scheme: 'http',
  authority: 'localhost',
  host: 'localhost',
  path: '/',
  query: '',
  headers: { host: 'localhost' },
  body: null,
  remoteAddress: '127.0.0.1',
  port: 0,
}
try {
  // The certificate is for "localhost": the URL's authority is what Deno verifies it against.
  const res = await upstream.send({ address: 'localhost', port: cfg.port, key: `localhost:${cfg.port}` }, req)
  const body = await new Response(res.body as ReadableStream).text()
  console.log(JSON.stringify({ status: res.status, body }))
} catch (err) {
  const cause = (err as { cause?: Error }).cause
  const e = err as Error & { code?: string; status?: number }
  console.log(JSON.stringify({ error: `${e.message}${cause ? ': ' + cause.message : ''}`, code: e.code, status: e.status }))
}
await upstream.close()
process.exit(0)
