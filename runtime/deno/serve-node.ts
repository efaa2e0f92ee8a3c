/**
 * @module
 * Listeners on node:http / node:http2 through Deno's Node compatibility (the Node
 * adapter's own runtime/node/server.ts), for what `Deno.serve` (2.9) cannot do:
 *
 * - HTTPS ports: Deno.serve's TLS negotiates h2, but takes one certificate for the
 *   whole listener (whatever the SNI) and does not tell a request which SNI its
 *   connection sent, so it can pass neither the certificate-per-hostname nor the
 *   misdirected-request (421) cases. Deno's node:http2 negotiates h2 and http/1.1 by
 *   ALPN and calls `SNICallback` per handshake, so the certificate follows the active
 *   snapshot without a reload (tls.test.ts shows both).
 * - Listeners used as an HTTP proxy (a sidecar's outbound, the ones given
 *   `onConnect`): Deno.serve hands over no socket for CONNECT tunnels; Deno's
 *   node:http emits 'connect' with one (serve.test.ts).
 *
 * The request body comes as a node Readable; the fetch upstream takes a Web
 * ReadableStream, so it is converted here with backpressure (node-body.ts: Deno's
 * Readable.toWeb reads a body whole when the upstream is slow). A real AbortSignal
 * per request (`abortSignal: true`) cancels the upstream fetch when the client goes
 * away.
 *
 * @example
 * const l = await serveNode({ address: '127.0.0.1', port: 0, handler, tls })
 */
import { Readable } from 'node:stream'
import type { ProxyRequest } from '../../core/http/view.js'
import { listen, type ListenOptions } from '../node/server.js'
import { sniCallback } from '../node/sni.js'
import type { Listening, ServeHandler, ServeOptions } from '../types.js'
import { toWebStream } from './node-body.js'

export function serveNode(opts: ServeOptions): Promise<Listening> {
  return listen({
    address: opts.address,
    port: opts.port,
    ...(opts.tls && { tls: { SNICallback: sniCallback(opts.tls) } }),
    handler: webBodies(opts.handler),
    abortSignal: true,
    ...(opts.closeTimeout !== undefined && { closeTimeout: opts.closeTimeout }),
    ...(opts.onError && { onError: opts.onError }),
    ...(opts.onConnect && { onConnect: opts.onConnect as NonNullable<ListenOptions['onConnect']> }),
  })
}

function webBodies(handler: ServeHandler): ServeHandler {
  return (req: ProxyRequest, signal) => {
    if (req.body instanceof Readable) req.body = toWebStream(req.body)
    return handler(req, signal)
  }
}
