/**
 * @module
 * The one place errors become responses (linkerd's ServerRescue): a WeftError's status
 * and code, a short plain body that says why, and `x-weft-error: <code>` to grep for.
 * Anything else is a bug: 500 ERR_INTERNAL, logged, its details never sent.
 *
 * @example
 * const handler = compose([rescue(console.error), route(table)])(notFound)
 */
import { InternalError, WeftError } from '../errors.js'
import { textResponse, type ProxyResponse } from '../http/view.js'
import type { Stage } from '../pipeline/stage.js'

export function errorResponse(err: unknown): ProxyResponse {
  const e = err instanceof WeftError ? err : new InternalError('internal error in the proxy')
  return textResponse(e.status, `${e.message}\n`, { 'x-weft-error': e.code })
}

export function rescue(log: (msg: string, err: unknown) => void): Stage {
  return (next) =>
    async function rescue(req, ctx) {
      try {
        return await next(req, ctx)
      } catch (err) {
        if (!(err instanceof WeftError)) log(`unexpected error on ${req.method} ${req.host}${req.path}`, err)
        return errorResponse(err)
      }
    }
}
