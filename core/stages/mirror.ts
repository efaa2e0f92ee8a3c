/**
 * @module
 * RequestMirror: send a copy of the request to another backend, fire-and-forget; the
 * client only ever sees the primary's response. `percent`/`fraction` pick the share
 * of requests that are mirrored.
 *
 * @example
 * const stage = requestMirror(resolved, 0.5, upstream)
 */
import type { Stage } from '../pipeline/stage.js'
import type { Upstream } from '../upstream/upstream.js'
import type { ResolvedBackend } from '../routing/backends.js'

export function requestMirror(target: ResolvedBackend, fraction: number, upstream: Upstream): Stage {
  // An unresolved mirror target or an empty Service never affects the primary request.
  const endpoints = target.ok ? target.endpoints : []
  let rr = 0
  return (next) =>
    function requestMirror(req, ctx) {
      if (endpoints.length > 0 && (fraction >= 1 || Math.random() < fraction)) {
        upstream.mirror(endpoints[rr++ % endpoints.length]!, req)
      }
      return next(req, ctx)
    }
}

export function mirrorFraction(c: { percent?: number; fraction?: { numerator: number; denominator: number } }): number {
  if (c.fraction) return c.fraction.denominator === 0 ? 0 : c.fraction.numerator / c.fraction.denominator
  if (c.percent !== undefined) return c.percent / 100
  return 1
}
