/**
 * @module
 * A Deno process for tls.test.ts: Deno.serve's own TLS (not what the adapter uses),
 * to show why the adapter's HTTPS ports are node:http2: one certificate for the whole
 * listener, and nothing in the handler's arguments says which SNI the connection
 * sent. Configured by WEFT_PROBE (JSON: { cert, key }); prints `{"port":N}`; each
 * request is answered with the names of everything the handler can read about it.
 */
import { deno } from '../deno-types.js'

const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { cert: string; key: string }
const serve = deno().serve as unknown as (
  opts: Record<string, unknown>,
  handler: (req: Request, info: object) => Response,
) => unknown
serve({ hostname: '127.0.0.1', port: 0, cert: cfg.cert, key: cfg.key, onListen: (a: { port: number }) => console.log(JSON.stringify({ port: a.port })) }, (req, info) => {
  const names = new Set<string>()
  for (let o: object | null = info; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) for (const k of Object.getOwnPropertyNames(o)) names.add(k)
  return new Response(JSON.stringify({ url: req.url, info: [...names].filter((k) => k !== 'constructor').sort() }))
})
