/**
 * @module
 * A Bun process for runtime/bun tests (run by `bun`, spawned by the vitest files
 * next to the adapter): the Bun adapter serving one listener whose handler forwards
 * to an origin through the adapter's upstream, plus a few local answers the tests
 * read. Configured by WEFT_PROBE (JSON: { origin: port, tls?: { [servername]: {cert,key} },
 * closeTimeout?, proxy? }; with `tls` the listener is HTTPS, the certificate picked by SNI,
 * '' for any other name; with `proxy` it is a sidecar-outbound-like listener, given
 * `onConnect` (the sidecar's CONNECT tunnel));
 * prints `{"port":N}` once listening; SIGTERM closes the listener (draining) and
 * prints `{"closed":ms}`.
 *
 *   GET /view[/…]      the ProxyRequest view as JSON (no body)
 *   GET /weft-error    a handler throwing a WeftError (NoRoute, 404)
 *   GET /bug           a handler throwing a plain Error (500)
 *   anything else      forwarded to 127.0.0.1:origin (hop-by-hop fields removed)
 */
import { NoRoute } from '../../../core/errors.js'
import { stripHopByHop } from '../../../core/http/hop-by-hop.js'
import { textResponse } from '../../../core/http/view.js'
import { connectTunnel } from '../../../worker-proxy/connect.js'
import { runtime } from '../runtime.js'

type Pem = { cert: string; key: string }
const cfg = JSON.parse(process.env.WEFT_PROBE ?? '{}') as { origin?: number; tls?: Record<string, Pem>; closeTimeout?: number; proxy?: boolean }
const upstream = runtime.createUpstream()
const endpoint = { address: '127.0.0.1', port: cfg.origin ?? 9, key: `127.0.0.1:${cfg.origin ?? 9}` }
const tls = cfg.tls
const listening = await runtime.serve({
  address: '127.0.0.1',
  port: 0,
  ...(cfg.closeTimeout !== undefined && { closeTimeout: cfg.closeTimeout }),
  ...(tls && {
    tls: {
      certFor: (name: string) => tls[name] ?? tls[''],
      certificates: () => Object.entries(tls).map(([name, pem]) => ({ ...pem, hostnames: [name] })),
    },
  }),
  ...(cfg.proxy && { onConnect: (req: unknown, socket: unknown, head: unknown) => connectTunnel(req as never, socket as never, head as never) }),
  onError: (err) => console.error('onError:', (err as Error).message),
  handler: async (req, signal) => {
    if (req.path === '/view' || req.path.startsWith('/view/')) return textResponse(200, JSON.stringify({ ...req, body: req.body !== null, signal: signal !== undefined }))
    if (req.path === '/weft-error') throw new NoRoute(req.method, req.host, req.path)
    if (req.path === '/bug') throw new Error('secret internals')
    // As the gateway's stages do: the client's Connection (close) is not the upstream's.
    stripHopByHop(req.headers)
    return upstream.send(endpoint, req, signal)
  },
})
console.log(JSON.stringify({ port: listening.port }))
process.once('SIGTERM', async () => {
  const t = performance.now()
  await listening.close()
  console.log(JSON.stringify({ closed: Math.round(performance.now() - t) }))
  await upstream.close()
  process.exit(0)
})
