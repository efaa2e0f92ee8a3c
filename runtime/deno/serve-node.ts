/**
 * @module
 * HTTPS listeners under Deno: node:http2 `createSecureServer` through Deno's Node
 * compatibility (runtime/node/server.ts, the Node adapter's own listener), not
 * `Deno.serve`. Deno.serve's TLS (2.9) negotiates h2, but takes one certificate for
 * the whole listener (whatever the SNI) and does not tell a request which SNI its
 * connection sent, so it can pass neither the certificate-per-hostname nor the
 * misdirected-request (421) cases. Deno's node:http2 negotiates h2 and http/1.1 by ALPN
 * and calls `SNICallback` per handshake, so the certificate follows the active
 * snapshot without a reload (tls.test.ts shows both).
 *
 * The request body comes as a node Readable; the fetch upstream takes a Web
 * ReadableStream, so it is converted here (Readable.toWeb keeps backpressure). A real
 * AbortSignal per request (`abortSignal: true`) cancels the upstream fetch when the
 * client goes away.
 *
 * @example
 * const l = await serveTls({ address: '127.0.0.1', port: 0, handler, tls })
 */
import { Readable } from 'node:stream'
import type { ProxyRequest } from '../../core/http/view.js'
import { listen } from '../node/server.js'
import { sniCallback } from '../node/sni.js'
import type { Listening, ServeHandler, ServeOptions, ServeTls } from '../types.js'

export function serveTls(opts: ServeOptions & { tls: ServeTls }): Promise<Listening> {
  return listen({
    address: opts.address,
    port: opts.port,
    tls: { SNICallback: sniCallback(opts.tls) },
    handler: webBodies(opts.handler),
    abortSignal: true,
    ...(opts.closeTimeout !== undefined && { closeTimeout: opts.closeTimeout }),
    ...(opts.onError && { onError: opts.onError }),
  })
}

function webBodies(handler: ServeHandler): ServeHandler {
  return (req: ProxyRequest, signal) => {
    if (req.body instanceof Readable) req.body = Readable.toWeb(req.body)
    return handler(req, signal)
  }
}
