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
 * ReadableStream, so it is converted here, with backpressure (toWebStream; for HTTPS
 * over HTTP/1.1 that takes pausing the socket too, Bun's request ignores pause()). A real
 * AbortSignal per request (`abortSignal: true`) cancels the upstream fetch when the
 * client goes away.
 *
 * @example
 * const l = await serveNode({ address: '127.0.0.1', port: 0, handler, tls })
 */
import type { IncomingMessage } from 'node:http'
import { Readable, type Duplex } from 'node:stream'
import type { ProxyRequest } from '../../core/http/view.js'
import { downstreamOf } from '../node/downstream.js'
import { listen, type ListenOptions } from '../node/server.js'
import { sniCallback } from '../node/sni.js'
import type { Listening, ServeHandler, ServeOptions } from '../types.js'

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
    const body = req.body
    if (body instanceof Readable) {
      // HTTP/1.1 only: an HTTP/2 request's socket is the whole session's.
      const socket = (body as IncomingMessage).httpVersionMajor === 1 ? (body as IncomingMessage).socket : undefined
      req.body = toWebStream(body, socket)
      // A body nobody read to the end must not keep the connection paused once the response is done.
      if (socket) downstreamOf(req)?.once('close', () => socket.resume())
    }
    return handler(req, signal)
  }
}

/** Bytes a request body may have read ahead of the upstream. */
const HIGH_WATER_MARK = 64 * 1024

/**
 * A node Readable as a Web ReadableStream that reads only as fast as its consumer:
 * the node stream is paused whenever the queue is full and resumed on `pull`. Bun's
 * `Readable.toWeb` does not hold back (a 100 MB upload to a paused upstream was read
 * whole into memory), and neither does pausing the request of Bun's node:http2
 * `allowHTTP1` fallback (HTTPS over HTTP/1.1): its `socket` is paused with it.
 */
export function toWebStream(r: Readable, socket?: Duplex): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        r.on('data', (chunk: Buffer) => {
          c.enqueue(chunk)
          if ((c.desiredSize ?? 0) <= 0) {
            r.pause()
            socket?.pause()
          }
        })
        r.once('end', () => c.close())
        r.once('error', (err) => c.error(err))
      },
      pull() {
        socket?.resume()
        r.resume()
      },
      cancel() {
        r.destroy()
      },
    },
    { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  )
}
