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
 * HTTP/2 sessions carry at most HARD_LIMIT bytes of bodies (h2-budget.ts): past
 * ~32 MiB a session, Deno 2.9's node:http2 crashes the process when the session ends.
 *
 * The request body comes as a node Readable; the fetch upstream takes a Web
 * ReadableStream, so it is converted with backpressure (runtime/node-compat/serve-node.ts,
 * toWebStream: Deno's Readable.toWeb reads a body whole when the upstream is slow).
 * No `pauseSocket`: Deno's node:tls ignores pause() on the TLS socket as on the
 * request, so HTTPS/1.1 uploads are not held back either way (docs/runtimes/deno.md).
 * A real AbortSignal per request (`abortSignal: true`) cancels the upstream fetch
 * when the client goes away.
 *
 * @example
 * const l = await serveNode({ address: '127.0.0.1', port: 0, handler, tls })
 */
import { serveNodeCompat } from '../node-compat/serve-node.js'
import type { Listening, ServeHandler, ServeOptions } from '../types.js'
import { h2Budget } from './h2-budget.js'

export function serveNode(opts: ServeOptions): Promise<Listening> {
  return serveNodeCompat(opts, { wrap: budgeted })
}

/** The body is a Web stream by now (serveNodeCompat converted it). */
function budgeted(handler: ServeHandler): ServeHandler {
  return async (req, signal) => {
    const budget = h2Budget(req)
    if (budget === undefined) return handler(req, signal)
    // HTTP/2: bytes counted per session (h2-budget.ts: Deno crashes past ~32 MiB a session).
    if (req.body !== null) req.body = budget.count(req.body as ReadableStream<Uint8Array>)
    const res = await handler(req, signal)
    const body = res.body
    if (typeof body === 'string') budget.add(Buffer.byteLength(body))
    else if (body instanceof Uint8Array) budget.add(body.byteLength)
    else if (body !== null && body !== undefined && typeof (body as ReadableStream).pipeThrough === 'function') res.body = budget.count(body as ReadableStream<Uint8Array>)
    return res
  }
}
