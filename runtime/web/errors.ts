/**
 * @module
 * Errors on the Web-`Request` listeners (Bun.serve, Deno.serve), answered and reported
 * as the Node adapter does (runtime/node/server.ts): a WeftError with its status,
 * `x-weft-error: CODE` and its message; anything else 500 ERR_INTERNAL, reported
 * through the listener's `onError` (default: console.error), and a reporter that
 * throws does not take the listener down.
 *
 * @example
 * const report = reporter(opts.onError)
 * return errorResponse(err, report)
 */
import { WeftError } from '../../core/errors.js'
import { textResponse } from '../../core/http/view.js'
import { toWebResponse } from './outbound.js'

/** `onError` (console.error when not given) made safe to call from the data path. */
export function reporter(onError: (err: unknown) => void = defaultOnError): (err: unknown) => void {
  return (err) => {
    try {
      onError(err)
    } catch {
      // A failing error reporter must not take the listener down with it.
    }
  }
}

/** The last resort, as on Node: a typed error keeps its status and code, anything else is a 500 and reported. */
export function errorResponse(err: unknown, report: (err: unknown) => void): Response {
  const known = err instanceof WeftError
  if (!known) report(err)
  const status = known ? err.status : 500
  const code = known ? err.code : 'ERR_INTERNAL'
  // A WeftError's message is written for the client; anything else may hold internals.
  const text = known ? err.message : 'internal error in the proxy'
  return toWebResponse(textResponse(status, text + '\n', { 'x-weft-error': code }))
}

function defaultOnError(err: unknown): void {
  console.error('[weft] unexpected error in the data path:', err)
}
