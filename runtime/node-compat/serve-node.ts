/**
 * @module
 * Listeners on node:http / node:http2 (the Node adapter's own runtime/node/server.ts)
 * run under another runtime's Node compatibility: the Bun and Deno adapters use them
 * for what their own `serve` cannot do (HTTPS ports, HTTP-proxy listeners;
 * runtime/bun/serve-node.ts and runtime/deno/serve-node.ts say why for each).
 *
 * The request body comes as a node Readable; the runtime's fetch upstream takes a Web
 * ReadableStream, so it is converted here, with backpressure (toWebStream: neither
 * Bun's nor Deno's `Readable.toWeb` holds back, both read a body whole when the
 * upstream is slow). A real AbortSignal per request (`abortSignal: true`) cancels the
 * upstream fetch when the client goes away.
 *
 * @example
 * const l = await serveNodeCompat(opts, { pauseSocket: true })
 */
import type { IncomingMessage } from 'node:http'
import { Readable, type Duplex } from 'node:stream'
import type { ProxyRequest } from '../../core/http/view.js'
import { downstreamOf } from '../node/downstream.js'
import { listen, type ListenOptions } from '../node/server.js'
import { sniCallback } from '../node/sni.js'
import type { Listening, ServeHandler, ServeOptions } from '../types.js'

export interface NodeCompatOptions {
  /**
   * Pause an HTTP/1.1 request's socket along with the request when its body's queue
   * is full. Bun needs it: the request of its node:http2 `allowHTTP1` fallback
   * (HTTPS over HTTP/1.1) ignores pause().
   */
  pauseSocket?: boolean
}

export function serveNodeCompat(opts: ServeOptions, compat: NodeCompatOptions = {}): Promise<Listening> {
  return listen({
    address: opts.address,
    port: opts.port,
    ...(opts.tls && { tls: { SNICallback: sniCallback(opts.tls) } }),
    handler: webBodies(opts.handler, compat.pauseSocket ?? false),
    abortSignal: true,
    ...(opts.closeTimeout !== undefined && { closeTimeout: opts.closeTimeout }),
    ...(opts.onError && { onError: opts.onError }),
    ...(opts.onConnect && { onConnect: opts.onConnect as NonNullable<ListenOptions['onConnect']> }),
  })
}

function webBodies(handler: ServeHandler, pauseSocket: boolean): ServeHandler {
  return (req: ProxyRequest, signal) => {
    const body = req.body
    if (body instanceof Readable) {
      // HTTP/1.1 only: an HTTP/2 request's socket is the whole session's.
      const socket = pauseSocket && (body as IncomingMessage).httpVersionMajor === 1 ? (body as IncomingMessage).socket : undefined
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
 * the node stream is paused whenever the queue holds HIGH_WATER_MARK bytes and
 * resumed on `pull`. `Readable.toWeb` does not hold back on Bun (a 100 MB upload to a
 * paused upstream was read whole into memory) nor on Deno (a 50 MiB upload over TLS,
 * runtime/deno/streaming.test.ts). With `socket`, that is paused and resumed too (for
 * Bun's node:http2 `allowHTTP1` fallback, whose request ignores pause()).
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
