/**
 * @module
 * Plain-HTTP listeners on `Deno.serve` (HTTP/1.1 keep-alive; HTTP/2 with prior
 * knowledge too, which Deno.serve takes by itself and does not tell the handler). Each Web `Request`
 * becomes a ProxyRequest (runtime/web/inbound.ts: the same Host/target checks as on
 * Node) and the handler's ProxyResponse a Web `Response`; bodies stream both ways as
 * ReadableStreams, which Deno pulls with backpressure.
 *
 * `request.signal` aborts when the client goes away before the response is done, so
 * the upstream fetch (which gets it) is cancelled. Errors are answered as on Node
 * (runtime/web/errors.ts): a WeftError with its status, `x-weft-error: CODE` and its
 * message; anything else 500 ERR_INTERNAL, reported through `onError`.
 * `automaticCompression` stays off and `onListen` is silenced (Deno prints
 * "Listening on ..." by default).
 *
 * close(): `shutdown()` (stop accepting, let requests in flight finish, close idle
 * connections). If that takes longer than `closeTimeout`, the upstream calls still in
 * flight are aborted (each handler gets `request.signal` joined with the listener's
 * closing signal): a request waiting for its head is answered 502 ERR_UPSTREAM_RESET,
 * a streaming body is cut, and shutdown completes. Not the server's own AbortSignal:
 * aborting it after shutdown() has begun throws BadResource from inside Deno 2.9 (an
 * uncaught error that ends the process).
 *
 * @example
 * const l = await serveHttp({ address: '127.0.0.1', port: 0, handler })
 */
import { BadRequest } from '../../core/errors.js'
import { textResponse } from '../../core/http/view.js'
import type { Listening, ServeOptions } from '../types.js'
import { errorResponse, reporter } from '../web/errors.js'
import { fromWebRequest, type InboundInfo } from '../web/inbound.js'
import { toWebResponse } from '../web/outbound.js'
import { deno, type DenoHttpServer, type DenoNetAddr } from './deno-types.js'

/**
 * What a request's connection was, when Deno.serve is not the one facing the client
 * (tls-front.ts: a TLS terminator in front of it on loopback): from the address of the
 * connection Deno.serve sees. Undefined when that connection is not known (any more).
 */
export type ConnectionInfo = (remote: DenoNetAddr) => InboundInfo | undefined

export async function serveHttp(opts: ServeOptions, connection?: ConnectionInfo): Promise<Listening> {
  const report = reporter(opts.onError)
  const closing = new AbortController()
  let port = opts.port
  let listening!: (addr: DenoNetAddr) => void
  const bound = new Promise<DenoNetAddr>((resolve) => (listening = resolve))
  // Deno.serve throws synchronously when the port cannot be bound (AddrInUse, PermissionDenied).
  const server: DenoHttpServer = deno().serve(
    {
      hostname: opts.address,
      port: opts.port,
      automaticCompression: false,
      onListen: (addr) => listening(addr),
      onError: (err) => errorResponse(err, report),
    },
    async (request, info) => {
      try {
        const inbound = connection
          ? connection(info.remoteAddr) ?? gone()
          : {
              scheme: 'http' as const,
              port,
              remoteAddress: clientAddress(info.remoteAddr.hostname),
              // No httpVersion: Deno.serve does not say (it takes HTTP/1.1 and h2c prior knowledge alike).
            }
        const pr = fromWebRequest(request, inbound)
        return toWebResponse(await opts.handler(pr, AbortSignal.any([request.signal, closing.signal])))
      } catch (err) {
        if (closing.signal.aborted && err === closing.signal.reason) return closedResponse()
        return errorResponse(err, report)
      }
    },
  )
  port = (await bound).port
  const closeTimeout = opts.closeTimeout ?? 10_000
  return { port, close: () => drain(server, closing, closeTimeout) }
}

/** A request from a front connection already closed: nobody is left to answer. */
function gone(): never {
  throw new BadRequest('the client connection closed before its request was read')
}

/** Graceful first; after `timeout` ms the upstream calls still in flight are aborted, then shutdown gets one more second. */
async function drain(server: DenoHttpServer, closing: AbortController, timeout: number): Promise<void> {
  const graceful = server.shutdown().then(() => true)
  if (await within(graceful, timeout)) return
  closing.abort(new Error('listener closed'))
  await within(graceful, 1_000)
}

function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/** A request cut by close(): its upstream call was aborted before the head arrived. */
function closedResponse(): Response {
  const r = textResponse(502, 'the listener closed before the upstream answered\n', { 'x-weft-error': 'ERR_UPSTREAM_RESET' })
  return toWebResponse(r)
}

/** An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: report a.b.c.d, as Node's adapter does. */
export function clientAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}
