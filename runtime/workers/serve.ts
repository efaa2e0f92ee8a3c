/**
 * @module
 * One request through a Worker: the Web Request as Weft's ProxyRequest (the same strict
 * checks as every runtime, runtime/web/inbound.ts), the snapshot's handler, the answer
 * as a Web Response. A Worker is its own single listener: the listener port the routes
 * are matched on comes from the Gateway (see gateway/worker.ts), not from a socket.
 * The client address is Cloudflare's `CF-Connecting-IP`.
 *
 * @example
 * return serveRequest(request, snap.handler, { scheme: 'http', port: 8080 })
 */
import { textResponse, type ProxyRequest } from '../../core/http/view.js'
import type { Handler } from '../../core/pipeline/stage.js'
import { errorResponse } from '../../core/stages/rescue.js'
import { fromWebRequest } from '../web/inbound.js'
import { toWebResponse } from '../web/outbound.js'
import { WorkerConfigError } from './settings.js'

export interface ServeInfo {
  scheme: 'http' | 'https'
  port: number
  /** Change the request before it is handled (the identity seam). */
  prepare?(req: ProxyRequest): void
}

export async function serveRequest(request: Request, handler: Handler, info: ServeInfo): Promise<Response> {
  let pr: ProxyRequest
  try {
    pr = fromWebRequest(request, {
      scheme: info.scheme,
      port: info.port,
      remoteAddress: request.headers.get('cf-connecting-ip') ?? '',
      httpVersion: '1.1',
    })
  } catch (err) {
    return toWebResponse(errorResponse(err))
  }
  info.prepare?.(pr)
  const signal = (request as { signal?: AbortSignal }).signal
  const res = await handler(pr, { start: performance.now(), ...(signal && { signal }) })
  return toWebResponse(res)
}

/** 503 while no verified bundle is active (a cold isolate whose first fetch failed). */
export function notReady(why: string): Response {
  return toWebResponse(textResponse(503, `not ready: ${why}\n`, { 'x-weft-error': 'ERR_NOT_READY', 'retry-after': '1' }))
}

/** The answer when the Worker's own bindings are wrong: 500 with what to fix. */
export function configErrorResponse(err: unknown, log: (msg: string) => void): Response {
  if (err instanceof WorkerConfigError) {
    log(err.message)
    return toWebResponse(textResponse(500, `weft worker misconfigured: ${err.message}\n`, { 'x-weft-error': err.code }))
  }
  log(`unexpected error: ${(err as Error)?.stack ?? String(err)}`)
  return toWebResponse(errorResponse(err))
}
