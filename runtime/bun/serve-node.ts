/**
 * @module
 * Listeners on node:http / node:http2 through Bun's Node compatibility (the Node
 * adapter's own runtime/node/server.ts), for what `Bun.serve` (1.4.5) cannot do:
 *
 * - HTTPS ports: Bun.serve's TLS speaks only HTTP/1.1 (it takes no h2 in ALPN) and
 *   does not tell a request which SNI its connection sent, so it can pass neither the
 *   HTTP/2 nor the misdirected-request (421) conformance cases. Bun's node:http2
 *   negotiates h2 and http/1.1 and calls `SNICallback` per handshake, so the
 *   certificate follows the active snapshot without a reload.
 * - Listeners used as an HTTP proxy (a sidecar's outbound, the ones given
 *   `onConnect`): Bun.serve builds `request.url` from the Host header, dropping an
 *   absolute-form target's authority (RFC 9112 §3.2.2 says the target wins), and
 *   hands over no socket for CONNECT tunnels. Bun's node:http keeps the raw target
 *   and emits 'connect' with a socket.
 *
 * The request body comes as a node Readable; Bun's fetch upstream takes a Web
 * ReadableStream, so it is converted with backpressure (runtime/node-compat/serve-node.ts,
 * toWebStream; for HTTPS over HTTP/1.1 that takes pausing the socket too: the request of
 * Bun's node:http2 `allowHTTP1` fallback ignores pause(), so `pauseSocket`). A real
 * AbortSignal per request (`abortSignal: true`) cancels the upstream fetch when the
 * client goes away.
 *
 * @example
 * const l = await serveNode({ address: '127.0.0.1', port: 0, handler, tls })
 */
import { serveNodeCompat } from '../node-compat/serve-node.js'
import type { Listening, ServeOptions } from '../types.js'

export function serveNode(opts: ServeOptions): Promise<Listening> {
  return serveNodeCompat(opts, { pauseSocket: true })
}
