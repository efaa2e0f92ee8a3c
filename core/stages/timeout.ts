/**
 * @module
 * Rule timeouts (HTTPRouteTimeouts): `request` bounds the whole exchange up to the
 * response head, `backendRequest` one attempt at a backend. When it fires the upstream
 * request is cancelled through the signal and the client gets 504 ERR_UPSTREAM_TIMEOUT.
 * Streaming the response body after its head is not bounded (a 50 MB download must
 * not be cut off by a route timeout).
 *
 * @example
 * const stage = timeout(500, 'request')
 */
import { UpstreamTimeout } from '../errors.js'
import type { Stage } from '../pipeline/stage.js'

export function timeout(ms: number, which: 'request' | 'backendRequest'): Stage {
  return (next) =>
    function timeout(req, ctx) {
      const controller = new AbortController()
      const parent = ctx.signal
      const onParentAbort = () => controller.abort(parent!.reason)
      if (parent) {
        if (parent.aborted) controller.abort(parent.reason)
        else parent.addEventListener('abort', onParentAbort, { once: true })
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const err = new UpstreamTimeout(ms, which)
          controller.abort(err)
          reject(err)
        }, ms)
        next(req, { ...ctx, signal: controller.signal }).then(
          (res) => { clearTimeout(timer); parent?.removeEventListener('abort', onParentAbort); resolve(res) },
          (err) => { clearTimeout(timer); parent?.removeEventListener('abort', onParentAbort); reject(err) },
        )
      })
    }
}
