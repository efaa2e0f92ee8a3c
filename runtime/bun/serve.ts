/**
 * @module
 * Plain-HTTP listeners on `Bun.serve` (HTTP/1.1, keep-alive). Each Web `Request`
 * becomes a ProxyRequest (runtime/web/inbound.ts, the same Host/target checks as on
 * Node) and the handler's ProxyResponse a Web `Response`; bodies stream both ways
 * as ReadableStreams, which Bun pulls with backpressure.
 *
 * `request.signal` is Bun's: it aborts when the client goes away, so the upstream
 * call (which gets it) is cancelled. Errors are answered as on Node
 * (runtime/web/errors.ts): a WeftError with its status, `x-weft-error: CODE` and its
 * message; anything else 500 ERR_INTERNAL, reported through `onError`.
 *
 * Bun's defaults changed for a proxy: `maxRequestBodySize` (128 MiB: Bun would answer
 * 413 itself) is lifted, since bodies are streamed, never held. Bun's `idleTimeout`
 * closes a connection after N seconds without a byte either way, also while the
 * handler waits for a slow upstream, and a per-request `server.timeout()` stays set
 * for the rest of the connection: so 10 s until a request arrives, none while the
 * handler runs (route timeouts bound it), then 120 s of silence for the response
 * body and the idle keep-alive connection after it (Node: 5 s keep-alive, no limit
 * on a silent response body).
 *
 * @example
 * const l = await serveHttp({ address: '127.0.0.1', port: 0, handler })
 */
import type { Listening, ServeOptions } from '../types.js'
import { errorResponse, reporter } from '../web/errors.js'
import { fromWebRequest } from '../web/inbound.js'
import { toWebResponse } from '../web/outbound.js'
import { bun, type BunServer } from './bun-types.js'

/** Seconds of silence before the first request on a connection (Bun's default). */
const IDLE_TIMEOUT_S = 10
/** Seconds of silence once a response is under way: its body (SSE gaps), then the idle keep-alive connection. */
const RESPONSE_IDLE_TIMEOUT_S = 120

export async function serveHttp(opts: ServeOptions): Promise<Listening> {
  let port = opts.port
  const report = reporter(opts.onError)
  const server: BunServer = bun().serve({
    hostname: opts.address,
    port: opts.port,
    development: false,
    idleTimeout: IDLE_TIMEOUT_S,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    async fetch(request, srv) {
      // Bun's idle timer would otherwise cut a request waiting for a slow upstream.
      srv.timeout(request, 0)
      try {
        const pr = fromWebRequest(request, {
          scheme: 'http',
          port,
          remoteAddress: srv.requestIP(request)?.address ?? '',
          httpVersion: '1.1',
        })
        const r = await opts.handler(pr, request.signal)
        srv.timeout(request, RESPONSE_IDLE_TIMEOUT_S)
        return toWebResponse(r)
      } catch (err) {
        srv.timeout(request, RESPONSE_IDLE_TIMEOUT_S)
        return errorResponse(err, report)
      }
    },
    error(err) {
      return errorResponse(err, report)
    },
  })
  port = server.port
  const closeTimeout = opts.closeTimeout ?? 10_000
  return { port, close: () => drain(server, closeTimeout) }
}

/**
 * Stop accepting; requests in flight finish (idle keep-alive connections are closed
 * by Bun); after `timeout` ms whatever is left is closed.
 */
async function drain(server: BunServer, timeout: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const graceful = server.stop(false).then(() => true)
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, timeout, false)
  })
  const done = await Promise.race([graceful, late])
  clearTimeout(timer)
  if (!done) await server.stop(true)
}
